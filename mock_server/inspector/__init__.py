"""The inspector: ``GET /_admin/ui``, a page that shows what the server received, the way each service's own
dashboard would, and the JSON it polls (``/_admin/inspector/...``).

Everything is read from the store through the services' backends on each request, so the page is the same
whichever worker process answers (SQLite with ``--workers``). The page, its script and its style are this
package's own files (``static/``): no CDN, no third-party code; the charts are hand-written SVG.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request

from ..errors import ServiceError
from ..http import reply
from ..journal import parse_filter as journal_filter
from ..kit import kit
from . import data

__all__ = ["blueprint", "root"]

STATIC = Path(__file__).with_name("static")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8"}

blueprint = Blueprint("inspector", __name__)


def _static(name: str) -> Response:
    path = STATIC / name
    response = Response(path.read_bytes(), mimetype=_TYPES[path.suffix].split(";")[0])
    response.headers["Content-Type"] = _TYPES[path.suffix]
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/ui")
def ui() -> Response:
    return _static("index.html")


@blueprint.get("/ui/<any('app.js', 'app.css'):name>")
def asset(name: str) -> Response:
    return _static(name)


@blueprint.get("/inspector/journal")
def journal() -> Response:
    """The page's list: the filters of ``GET /_admin/requests`` (the same names, words and 400s: ``service``,
    ``status``, ``path`` prefix, ``path_pattern``, ``method``, ``since``, ``until``), ``after`` an id, and no
    bodies (one entry's body is ``/inspector/journal/<id>``, fetched when its row is opened)."""
    args = request.args
    limit = args.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise ServiceError(400, "limit: must be an integer from 1 to 1000")
    return reply(data.journal(journal_filter(args), after=args.get("after") or None, limit=int(limit)))


@blueprint.get("/inspector/journal/<entry_id>")
def journal_entry(entry_id: str) -> Response:
    entry = data.journal_entry(entry_id)
    if entry is None:
        raise ServiceError(404, "id: no journal entry with this id (the journal keeps the latest requests only)")
    return reply(entry)


@blueprint.get("/inspector/<service>")
def service_view(service: str) -> Response:
    view = data.VIEWS.get(service)
    if view is None or service not in kit().services:
        raise ServiceError(404, f"service: no service named {service!r}")
    return reply(view(kit().services[service], request.args))


def root() -> Response:
    """``GET /``: where things are (HTML for a browser, JSON otherwise)."""
    services = {name: f"/{name}" for name in kit().services}
    if request.accept_mimetypes.accept_html and "text/html" in request.headers.get("Accept", ""):
        items = "".join(f'<li><code>{path}</code></li>' for path in services.values())
        html = ("<!doctype html><meta charset=utf-8><title>analytics-api-kit reference server</title>"
                "<h1>analytics-api-kit reference server</h1>"
                '<p><a href="/_admin/ui">Open the inspector</a>: the requests received and each service\'s '
                f"state.</p><p>Services:</p><ul>{items}</ul>")
        return Response(html, mimetype="text/html")
    return reply({"inspector": "/_admin/ui", "admin": "/_admin/health", "services": services})

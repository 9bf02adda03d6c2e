"""``create_app(config)``: the reference server, every service under its prefix, plus ``/_admin``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import admin, inspector
from .config import Config, load_config
from .errors import install_error_handlers
from .http import StrictJSONProvider
from .journal import install_journal
from .kit import Kit
from .services import SERVICES
from .store import open_store

__all__ = ["create_app"]


def create_app(config: Config | dict[str, Any] | str | Path | None = None) -> Flask:
    cfg = load_config(config)
    app = Flask("mock_server")
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_body
    app.json = StrictJSONProvider(app)  # get_json and jsonify: the same strict JSON as every view
    store = open_store(cfg.store)
    k = Kit(config=cfg, store=store)
    app.extensions["analytics_api_kit"] = k
    for name, cls in SERVICES.items():
        service = cls(store, cfg)
        k.services[name] = service
        app.register_blueprint(service.blueprint, url_prefix=f"/{name}")
        if cfg.only == name:
            app.register_blueprint(service.blueprint, url_prefix="", name=f"{name}_root")
        if service.admin is not None:
            app.register_blueprint(service.admin, url_prefix=f"/_admin/{name}")
    app.register_blueprint(admin.blueprint, url_prefix="/_admin")
    app.register_blueprint(inspector.blueprint, url_prefix="/_admin")
    app.add_url_rule("/", "root", inspector.root)
    install_error_handlers(app)
    install_journal(app)
    # A store that already holds data (SQLite across restarts, PostgreSQL shared with other instances) keeps
    # it; an empty one gets the defaults, once, however many instances start together.
    with store.transaction():
        if store.get("_meta", "initialised") is None:
            k.reset()
    return app

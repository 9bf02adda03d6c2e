"""A bare Flask app served the same way as the reference server: the floor for server-side cost.

``python -m benchmarks.bare_flask --port N [--server gunicorn|waitress|granian|werkzeug] [--threads M]``:
the same production WSGI server ``mock-server`` runs, with the same settings (``mock_server.serving.serve``:
gunicorn gthread, granian or waitress, one worker of ``--threads`` threads, keep-alive), so a comparison with it
measures our app and nothing else. The default is ``mock-server``'s own default server.

Each endpoint sits at the path of the operation it stands for and does the least a Flask view can: it reads the
body (so the server and Flask handle the same bytes) and answers a constant of about the size of our answer.

- ``POST /ez``, ``POST /stathat/ez``: StatHat's ok (a form POST or a JSON batch).
- ``GET /countly/o``: a constant Countly sessions answer.
- ``GET /taplytics/v2/users``: a constant page of 100 users.
"""

from __future__ import annotations

import argparse
import json
import socket

from flask import Flask, Response, request

app = Flask("bare")

_OK = '{"status":200,"msg":"ok"}'
_SESSIONS = json.dumps({"2026": {"u": 20, "t": 20, "n": 20, "e": 20, "f": {"0": 20},
                                  "Unknown": {"u": 20, "t": 20, "n": 20},
                                  "12": {"u": 20, "t": 20, "n": 20, "e": 20, "f": {"0": 20},
                                         "3": {"u": 20, "t": 20, "n": 20, "e": 20, "f": {"0": 20},
                                               "6": {"t": 20, "n": 20, "u": 20, "e": 20}}},
                                  "w49": {"u": 20, "f": {"0": 20}}}})
_USERS = json.dumps([{"id": f"{i + 1:024x}", "created_at": "1970-01-01T00:00:00+00:00",
                      "custom_data": {"plan": "gold", "seats": i % 7}, "session_count": 0, "user_id": f"u{i}",
                      "email": f"u{i}@example.com", "first_name": f"User {i}"} for i in range(100)])


@app.post("/ez")
@app.post("/stathat/ez")
def ez() -> Response:
    request.get_data()
    return Response(_OK, mimetype="application/json")


@app.get("/countly/o")
def countly_o() -> Response:
    return Response(_SESSIONS, mimetype="application/json")


@app.get("/taplytics/v2/users")
def taplytics_users() -> Response:
    return Response(_USERS, mimetype="application/json")


@app.get("/_admin/health")
def health() -> Response:
    return Response('{"status":"ok"}', mimetype="application/json")


def main() -> int:
    from mock_server.serving import available, default_server, serve

    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server", choices=("gunicorn", "waitress", "granian", "werkzeug"), default=default_server())
    p.add_argument("--threads", type=int, default=8)
    args = p.parse_args()
    if args.server == "werkzeug":
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", args.port, app, threaded=True)
        return 0
    if not available(args.server):
        raise SystemExit(f"{args.server} is not installed")
    sock = socket.create_server(("127.0.0.1", args.port), backlog=1024)
    sock.set_inheritable(True)
    return serve(app, sock, server=args.server, workers=1, threads=args.threads)


if __name__ == "__main__":
    raise SystemExit(main())

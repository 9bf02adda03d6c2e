"""A bare Flask app served the same way as the reference server: the floor for server-side cost.

``python -m benchmarks.bare_flask --port N``: ``POST /ez`` answers StatHat's ok without reading anything.
"""

from __future__ import annotations

import argparse

from flask import Flask, Response
from werkzeug.serving import run_simple

app = Flask("bare")


@app.post("/ez")
def ez() -> Response:
    return Response('{"status":200,"msg":"ok"}', mimetype="application/json")


@app.get("/_admin/health")
def health() -> Response:
    return Response('{"status":"ok"}', mimetype="application/json")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    run_simple("127.0.0.1", p.parse_args().port, app, threaded=True)

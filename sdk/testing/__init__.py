"""Testing helpers that ship with the kit: the pytest plugin (``sdk.testing.pytest_plugin``, loaded by pytest
wherever the kit is installed), cassettes that hold no secret (``make_vcr``), the in-process async transport, and
the reference server in a process of its own (``KitServer``).

Importing this module needs neither Flask nor vcrpy; ``make_vcr`` imports vcrpy when called.
"""

from .._transports import AsyncWSGITransport
from ._cassettes import make_vcr, scrub_body
from ._server import KitServer

__all__ = ["AsyncWSGITransport", "KitServer", "make_vcr", "scrub_body"]

"""Where the contract suite's cassettes live; the recorder is the kit's own (``sdk.testing.make_vcr``)."""

from pathlib import Path

CASSETTES = Path(__file__).parent / "cassettes"

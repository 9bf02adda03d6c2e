"""The store's page cost: a slice at offset 99,900 vs offset 0, 100k documents, memory and SQLite.

Run: ``.venv/bin/python -m benchmarks.store_pages``
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mock_server.store import MemoryStore, SqliteStore, Store


def page_ms(store: Store, offset: int, runs: int = 200) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        store.items("users", offset, 100)
    return (time.perf_counter() - started) / runs * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for store in (MemoryStore(), SqliteStore(str(Path(tmp) / "pages.db"))):
            with store.transaction():
                for i in range(100_000):
                    store.put("users", f"u{i}", {"id": i, "name": "x" * 50})
            first, far = page_ms(store, 0), page_ms(store, 99_900)
            print(f"{type(store).__name__}: page 1 {first:.3f} ms, page 1000 {far:.3f} ms, ratio {far / first:.2f}x")


if __name__ == "__main__":
    main()

"""Reading an import file: JSON Lines or CSV, one record (a dict) a line, with its line number.

A line that is not a record is yielded as a ``BadLine`` (number and reason) instead of stopping the read,
so an import can report the first few bad lines and count the rest. The byte position goes with each
record, for the progress bar's fraction and ETA.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from schemas.wire import standard_loads

__all__ = ["BadLine", "Format", "Record", "detect_format", "read_records"]

Format = Literal["jsonl", "csv"]

@dataclass(frozen=True)
class Record:
    line: int
    data: dict[str, Any]
    #: Bytes of the input read once this record was: how far through the file the import is.
    position: int


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str
    position: int


def detect_format(path: str, given: str | None) -> Format:
    if given in ("jsonl", "csv"):
        return given  # type: ignore[return-value]
    return "csv" if path.lower().endswith(".csv") else "jsonl"


def read_records(stream: IO[bytes], fmt: Format) -> Iterator[Record | BadLine]:
    return _jsonl(stream) if fmt == "jsonl" else _csv(stream)


def _jsonl(stream: IO[bytes]) -> Iterator[Record | BadLine]:
    position = 0
    for number, raw in enumerate(stream, 1):
        position += len(raw)
        text = raw.strip()
        if not text:
            continue
        try:
            data = standard_loads(text)  # orjson where it gives json's value; json's words on a bad line
        except UnicodeDecodeError:
            yield BadLine(number, "not UTF-8 text", position)
            continue
        except ValueError as exc:
            yield BadLine(number, f"not JSON: {exc.args[0] if exc.args else exc}", position)
            continue
        if not isinstance(data, dict):
            yield BadLine(number, f"must be a JSON object, got {type(data).__name__}", position)
            continue
        yield Record(number, data, position)


class _Counting(io.RawIOBase):
    """The bytes the CSV reader has pulled, counted (csv works on text, the progress bar on bytes)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        line = self.stream.readline(len(buffer))
        self.count += len(line)
        buffer[: len(line)] = line
        return len(line)


def _csv(stream: IO[bytes]) -> Iterator[Record | BadLine]:
    counting = _Counting(stream)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1), encoding="utf-8", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (UnicodeDecodeError, csv.Error) as exc:
        yield BadLine(1, f"header: {exc}", counting.count)
        return
    names = [h.strip() for h in header]
    if not any(names):
        yield BadLine(1, "header: the first line must name the columns", counting.count)
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield BadLine(reader.line_num, str(exc), counting.count)
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            yield BadLine(reader.line_num, f"{len(row)} cells, the header names {len(names)}", counting.count)
            continue
        # An empty cell is an absent field (a CSV of stats has both a count and a value column).
        data = {name: cell for name, cell in zip(names, row, strict=False) if cell != "" and name}
        yield Record(reader.line_num, data, counting.count)

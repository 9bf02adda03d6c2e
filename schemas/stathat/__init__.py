"""StatHat's wire rules that JSON Schema cannot say: ``prefix~a,b`` expansion and the bound on ``t``."""

from __future__ import annotations

from .. import RuleError

__all__ = ["MAX_NAME", "MAX_T", "expand_stat"]

MAX_NAME = 255
#: The last second of year 9999: a larger ``t`` is almost always milliseconds sent as seconds.
MAX_T = 253_402_300_799


def expand_stat(name: str) -> list[str]:
    """The stat names a ``prefix~a,b`` name posts to (``["prefix a", "prefix b"]``), checked.

    Raises ``RuleError`` naming the rule: empty, more than one ``~``, an empty name in the
    list, or an expanded name over 255 characters.
    """
    if not name:
        raise RuleError("stat: must not be empty", field="stat")
    if "~" not in name:
        names = [name]
    else:
        prefix, _, rest = name.partition("~")
        if "~" in rest:
            raise RuleError("stat: at most one ~ is allowed", field="stat")
        parts = rest.split(",")
        if any(not p.strip() for p in parts):
            raise RuleError("stat: empty name in the list after ~", field="stat")
        names = [f"{prefix} {p.strip()}" if prefix else p.strip() for p in parts]
    for n in names:
        if len(n) > MAX_NAME:
            raise RuleError(f"stat: {n[:40]!r}... is {len(n)} characters, over {MAX_NAME}", field="stat")
    return names

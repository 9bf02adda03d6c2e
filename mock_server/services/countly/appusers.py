"""``old_device_id``: the real server's ``appUsers.merge``, one device's app user folded into another's.

A request with ``old_device_id=A&device_id=B`` (an SDK's ``change_id(B, merge=true)``) makes A's app user
B's: when B has none yet, A's is renamed; otherwise their properties are merged into B's (session counts
and durations summed, the earliest first session and the latest last session kept, the values of the
user seen last winning elsewhere: B's, unless A's last session is later or B has none) and A's is
deleted. The aggregates already written stay as they are; what changes is
that B's next session is a returning user's, so the user is counted once.
"""

from __future__ import annotations

from typing import Any

from .buckets import last_session_index
from .clock import zone
from .model import Work, users_ns

__all__ = ["merge_users"]

_SUMMED = frozenset({"sc", "tsd", "vc", "pending_e"})
_EARLIEST = frozenset({"fs"})
_LATEST = frozenset({"ls", "lest"})
_OWN = frozenset({"did", "last_req"})


def _merged(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    out = dict(new)
    for key, value in old.items():
        if key in _OWN:
            continue
        mine = out.get(key)
        if key in _SUMMED:
            out[key] = (mine or 0) + (value or 0)
        elif key in _EARLIEST or key in _LATEST:
            if mine is None or (value is not None and ((value < mine) if key in _EARLIEST else (value > mine))):
                out[key] = value
        elif key == "views" and isinstance(value, dict):
            views = dict(mine) if isinstance(mine, dict) else {}
            for vid, ts in value.items():
                views[vid] = max(ts, views.get(vid, ts))
            out[key] = views
        elif key not in out:
            out[key] = value
    return out


def merge_users(work: Work, app: dict[str, Any], old_uid: str, new_uid: str, device_id: str) -> None:
    ns = users_ns(app["app_id"])
    old: dict[str, Any] | None = work.get(ns, old_uid)
    if not old:
        return  # nothing to merge: the request goes on as B's
    new: dict[str, Any] | None = work.get(ns, new_uid)
    if not new:
        work.put(ns, new_uid, {**old, "did": device_id})
        work.delete(ns, old_uid)
        return
    if not new.get("ls") or (old.get("ls") is not None and new["ls"] < old["ls"]):
        # appUsers.merge takes the user seen last as the base (its properties win); the ids stay B's.
        base = {**old, **{k: new[k] for k in _OWN if k in new}}
        merged = _merged(base, {k: v for k, v in new.items() if k not in _OWN})
    else:
        merged = _merged(new, old)
    # The last-session index counts each user once: both leave it, the merged user comes back in.
    tz = zone(app.get("timezone"))
    for user, delta in ((old, -1), (new, -1), (merged, 1)):
        if user.get("ls") is not None:
            last_session_index(work, app["app_id"], user["ls"], str(user.get("cc", "Unknown")), delta, tz)
    work.put(ns, new_uid, merged)
    work.delete(ns, old_uid)

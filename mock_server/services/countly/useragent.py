"""The operating system of a User-Agent, as Countly's web plugin takes it from ``ua-parser-js``.

At a ``begin_session`` the plugin fills ``_os`` and ``_os_version`` that the SDK did not send from the
``_ua`` metric (or the request's User-Agent header); ``Mac OS`` is renamed ``Mac``. Only the OS families
that browsers report are known here; anything else gives nothing, as an unparsable agent does.
"""

from __future__ import annotations

import re

__all__ = ["os_from_agent"]

#: ``Windows NT x.y`` -> the marketing version ua-parser-js reports.
_WINDOWS = {"10.0": "10", "6.4": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.2": "XP",
            "5.1": "XP", "5.01": "2000", "5.0": "2000"}
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Windows Phone(?: OS)?[ /]?([\d.]*)"), "Windows Phone"),
    (re.compile(r"Windows NT ([\d.]+)"), "Windows"),
    (re.compile(r"(?:iPhone|iPad|iPod)(?:.*?(?:CPU|iPhone) OS ([\d_]+))?"), "iOS"),
    (re.compile(r"Android[ /-]?([\d.]*)"), "Android"),
    (re.compile(r"CrOS \S+ ([\d.]+)"), "Chrome OS"),
    (re.compile(r"Mac OS X ?([\d_.]*)"), "Mac"),
    (re.compile(r"Ubuntu[ /]?([\d.]*)"), "Ubuntu"),
    (re.compile(r"Fedora[ /]?([\d.]*)"), "Fedora"),
    (re.compile(r"Linux"), "Linux"),
)


def os_from_agent(agent: str) -> tuple[str | None, str | None]:
    """(os, os_version) of ``agent``; either may be None."""
    for pattern, name in _RULES:
        found = pattern.search(agent)
        if found is None:
            continue
        version = (found.group(1) if pattern.groups else "") or ""
        version = version.replace("_", ".").strip(".")
        if name == "Windows":
            version = _WINDOWS.get(version, version)
        return name, version or None
    return None, None

"""Durations and ages as admins type and read them: 30d, 24h, 90m; '3d', '5h'."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from gateway.database.store import as_utc

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhmw])\s*", text or "")
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30d, 24h, 90m, 2w)")
    return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'7d' (that long ago) or a date/time '2026-11-01', '2026-11-01T09:00' (UTC)."""
    now = now or datetime.now(timezone.utc)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use e.g. 7d or 2026-11-01)") from None


def age(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, ((now or datetime.now(timezone.utc)) - as_utc(when)).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"

"""How the server's times are shown: in the user's time zone and locale."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, QLocale


def local_time(iso: str | None, *, date_only: bool = False) -> str:
    """An ISO 8601 UTC time in the user's time zone, e.g. "25 Nov 2026, 14:03";
    "" if absent or unreadable."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return ""
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))
    return QLocale().toString(stamp, "d MMM yyyy" if date_only else "d MMM yyyy, HH:mm")

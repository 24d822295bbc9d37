from __future__ import annotations

import datetime as dt

from bot.console.web import format_age, format_dt, format_ts


def test_formats() -> None:
    assert format_ts(0.0) == "1970-01-01 00:00"
    assert format_ts(None) == ""
    assert format_dt(dt.datetime(2024, 5, 6, 7, 8)) == "2024-05-06 07:08"
    now = dt.datetime(2024, 5, 6, 12, 0)
    assert format_age(now - dt.timedelta(minutes=5), now) == "5 min"
    assert format_age(now - dt.timedelta(hours=3, minutes=5), now) == "3 h"
    assert format_age(now - dt.timedelta(days=2, hours=1), now) == "2 d"
    assert format_age(None, now) == ""

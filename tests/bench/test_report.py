"""Percentiles and the benchmark report (bench/report.py)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.report import (
    Sample,
    percentile,
    render_markdown,
    report_stem,
    summarize,
    write_report,
)


def test_percentile_interpolates_between_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_outside_0_100_is_refused(q: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], q)


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=200))
def test_percentile_agrees_with_the_standard_library(values: list) -> None:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (1, 50, 95, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1], rel=1e-9, abs=1e-6)


SAMPLES = [
    Sample("plain", 100.0),
    Sample("plain", 300.0),
    Sample("calculator", 200.0),
    Sample("calculator", 5000.0, ok=False, error="HTTP 500"),
    Sample("whatsapp", 10.0),
    Sample("whatsapp_reply", 900.0),
    Sample("whatsapp_reply", 30000.0, ok=False, error="no reply at the fake Twilio"),
]
MEMORY = [
    {"port": 5005, "pid": 42, "name": "rasa run --enable-api", "peak_rss": 1_500 * 2**20},
    {"port": 5055, "pid": 43, "name": "rasa run actions", "peak_rss": 300 * 2**20},
]


def test_summarize() -> None:
    report = summarize(SAMPLES, 2.0, MEMORY, {"mode": "embedded", "users": 5}, {"enabled": True})
    # replies at the fake Twilio are not client messages
    assert report["messages"] == 5
    assert report["messages_per_second"] == 2.5
    assert report["errors"] == 2
    assert list(report["turns"]) == ["plain", "calculator", "whatsapp", "whatsapp_reply"]
    plain = report["turns"]["plain"]
    assert (plain["count"], plain["errors"], plain["per_second"]) == (2, 0, 1.0)
    assert (plain["p50_ms"], plain["max_ms"]) == (200.0, 300.0)
    calculator = report["turns"]["calculator"]
    # a failed request's time is not a latency
    assert (calculator["count"], calculator["errors"], calculator["p99_ms"]) == (2, 1, 200.0)
    assert {"error": "calculator: HTTP 500", "count": 1} in report["top_errors"]
    assert report["memory"][0]["pid"] == 42
    assert report["settings"]["mode"] == "embedded"
    json.dumps(report)


def test_a_turn_type_with_only_errors_has_no_latency() -> None:
    report = summarize([Sample("budget", 1.0, ok=False)], 1.0)
    assert report["turns"]["budget"]["p95_ms"] is None
    assert "| budget | 1 | 1 | 1.0 | - | - | - | - |" in render_markdown(report)


def test_markdown_tables() -> None:
    report = summarize(SAMPLES, 2.0, MEMORY, {"mode": "embedded", "users": 5, "url": "http://x"})
    text = render_markdown(report)
    assert "# Load benchmark: embedded" in text
    assert "5 messages, 2.50 messages/s, 2 errors" in text
    assert "| plain | 2 | 0 | 1.0 | 200.0 | 290.0 | 298.0 | 300.0 |" in text
    assert "| rasa run --enable-api | 5005 | 42 | 1,500 | - |" in text
    assert "- 1 x calculator: HTTP 500" in text
    nobody = {"port": 5055, "pid": None, "name": "", "peak_rss": 0, "samples": 0}
    assert "| - | 5055 | - | - | - |" in render_markdown(summarize(SAMPLES, 2.0, [nobody]))


def test_report_stem() -> None:
    when = dt.datetime(2025, 3, 4, 5, 6, 7)
    assert report_stem("embedded", when) == "embedded-20250304-050607"
    assert report_stem("../prod x", when) == "___prod_x-20250304-050607"


def test_write_report(tmp_path: Path) -> None:
    report = summarize(SAMPLES, 2.0, MEMORY, {"mode": "production"})
    when = dt.datetime(2025, 3, 4, 5, 6, 7)
    json_path, markdown_path = write_report(report, tmp_path / "bench", "production", when)
    assert json_path == tmp_path / "bench" / "production-20250304-050607.json"
    assert json.loads(json_path.read_text("utf-8")) == report
    assert markdown_path.read_text("utf-8") == render_markdown(report)

"""The benchmark's figures: percentiles per turn type, throughput, errors, memory.

Pure functions: the Locust file hands them the recorded samples and writes what they
return to ``results/bench/<mode>-<timestamp>.json`` and ``.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from bench.scripts import TURN_TYPES, WHATSAPP_REPLY

PERCENTILES = (50, 95, 99)
MEBIBYTE = 1024 * 1024
TOP_ERRORS = 10
# replies Twilio received are outcomes of client messages, not messages themselves
NOT_MESSAGES = frozenset({WHATSAPP_REPLY})


@dataclass(frozen=True)
class Sample:
    """One timed request.

    Attributes:
        kind: the turn type (``plain``, ``calculator``, ``whatsapp``...).
        milliseconds: how long the answer took.
        ok: False for an error (HTTP error, bad answer, reply never sent).
        error: what went wrong, for the report.
    """

    kind: str
    milliseconds: float
    ok: bool = True
    error: str = ""


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100), interpolated between the nearest ranks.

    The same definition as numpy's default ("linear"): 0 is the smallest value, 100
    the largest.

    Raises:
        ValueError: no values, or ``q`` outside 0-100.
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not within 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def turn_stats(samples: Sequence[Sample], seconds: float) -> Dict[str, Any]:
    """Return count, errors, rate and latency percentiles of one turn type's samples."""
    times = [sample.milliseconds for sample in samples if sample.ok]
    stats: Dict[str, Any] = {
        "count": len(samples),
        "errors": sum(1 for sample in samples if not sample.ok),
        "per_second": round(len(samples) / seconds, 2) if seconds > 0 else 0.0,
    }
    for q in PERCENTILES:
        stats[f"p{q}_ms"] = round(percentile(times, q), 1) if times else None
    stats["mean_ms"] = round(sum(times) / len(times), 1) if times else None
    stats["max_ms"] = round(max(times), 1) if times else None
    return stats


def _kind_order(kind: str) -> Tuple[int, str]:
    return (TURN_TYPES.index(kind) if kind in TURN_TYPES else len(TURN_TYPES), kind)


def summarize(
    samples: Sequence[Sample],
    seconds: float,
    memory: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
    whatsapp: Mapping[str, Any] | None = None,
) -> Dict[str, Any]:
    """Return the report of one run.

    Args:
        samples: every timed request.
        seconds: how long the load ran.
        memory: peak memory per assistant process (see ``bench.memory``).
        settings: how the run was made (mode, URL, users...), copied as they are.
        whatsapp: WhatsApp counters (webhook posts, replies the fake Twilio received).

    Returns:
        A JSON-ready dict: ``messages``, ``messages_per_second``, ``errors``, per turn
        type ``turns`` (count, errors, per_second, p50/p95/p99/mean/max in ms),
        ``top_errors``, ``memory``, ``whatsapp`` and ``settings``.
    """
    by_kind: Dict[str, List[Sample]] = {}
    for sample in samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    messages = [sample for sample in samples if sample.kind not in NOT_MESSAGES]
    errors = Counter(f"{s.kind}: {s.error or 'error'}" for s in samples if not s.ok)
    return {
        "settings": dict(settings or {}),
        "seconds": round(seconds, 1),
        "messages": len(messages),
        "messages_per_second": round(len(messages) / seconds, 2) if seconds > 0 else 0.0,
        "errors": sum(errors.values()),
        "turns": {
            kind: turn_stats(by_kind[kind], seconds) for kind in sorted(by_kind, key=_kind_order)
        },
        "top_errors": [
            {"error": text, "count": count} for text, count in errors.most_common(TOP_ERRORS)
        ],
        "memory": [dict(entry) for entry in memory],
        "whatsapp": dict(whatsapp or {}),
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _megabytes(value: Any) -> str:
    return f"{value / MEBIBYTE:,.0f}" if isinstance(value, (int, float)) else "-"


def render_markdown(report: Mapping[str, Any]) -> str:
    """Return the report as a short Markdown page: a summary line and two tables."""
    settings = report.get("settings") or {}
    lines = [
        f"# Load benchmark: {settings.get('mode', '?')}",
        "",
        f"{settings.get('users', '?')} clients for {report['seconds']:.0f} s against "
        f"{settings.get('url', '?')}: **{report['messages']} messages, "
        f"{report['messages_per_second']:.2f} messages/s, {report['errors']} errors**.",
        "",
        "| turn type | messages | errors | per s | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, stats in (report.get("turns") or {}).items():
        cells = [stats["count"], stats["errors"], stats["per_second"]]
        cells += [stats.get(f"p{q}_ms") for q in PERCENTILES] + [stats.get("max_ms")]
        lines.append(f"| {kind} | " + " | ".join(_cell(cell) for cell in cells) + " |")
    memory = report.get("memory") or []
    if memory:
        lines += [
            "",
            "| process | port | pid | peak RSS MiB | with children MiB |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for entry in memory:
            seen = bool(entry.get("samples", 1))
            own = _megabytes(entry.get("peak_rss")) if seen else "-"
            tree = _megabytes(entry.get("peak_tree_rss")) if seen else "-"
            lines.append(
                f"| {entry.get('name') or '-'} | {entry.get('port')} | {entry.get('pid') or '-'} "
                f"| {own} | {tree} |"
            )
    whatsapp = report.get("whatsapp") or {}
    if whatsapp:
        details = ", ".join(f"{key} {value}" for key, value in whatsapp.items())
        lines += ["", f"WhatsApp: {details}."]
    if report.get("top_errors"):
        lines += ["", "Errors:", ""]
        lines += [f"- {item['count']} x {item['error']}" for item in report["top_errors"]]
    return "\n".join(lines) + "\n"


def report_stem(mode: str, when: dt.datetime) -> str:
    """Return a report's file name without suffix: ``embedded-20250101-120000``."""
    safe = "".join(char if char.isalnum() or char in "-_" else "_" for char in mode) or "run"
    return f"{safe}-{when:%Y%m%d-%H%M%S}"


def write_report(
    report: Mapping[str, Any], folder: Path, mode: str, when: dt.datetime
) -> Tuple[Path, Path]:
    """Write ``<folder>/<mode>-<timestamp>.json`` and ``.md``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = report_stem(mode, when)
    json_path = folder / f"{stem}.json"
    markdown_path = folder / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    markdown_path.write_text(render_markdown(report), "utf-8")
    return json_path, markdown_path

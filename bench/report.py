"""Results as a Markdown table and JSON, tessera and the peer side by side.

Each figure is the median over repetitions with its range; ratios are tessera / peer
within the same run. For CPU per operation lower is better, so a ratio below 1 means
tessera does the same work with less CPU; for throughput a ratio above 1 is better.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.ops import Mode
from bench.runner import Case, Record
from bench.stats import Spread, spread
from bench.target import ALGORITHMS

TESSERA = "tessera"
PEER = "node-oidc-provider"


@dataclass(frozen=True)
class Summary:
    """One case against one target over its repetitions."""

    target: str
    case: Case
    unavailable: str | None
    ops_per_s: Spread | None = None
    server_cpu_us: Spread | None = None
    p50_ms: Spread | None = None
    p99_ms: Spread | None = None
    server_util: Spread | None = None
    driver_cpu_us: Spread | None = None
    driver_util_max: float | None = None
    errors: int = 0
    first_error: str | None = None
    rss_mib: float | None = None


def summarise(records: Sequence[Record]) -> list[Summary]:
    """Group runs by (target, case); a case that never ran reports why."""
    groups: dict[tuple[str, Case], list[Record]] = {}
    for record in records:
        groups.setdefault((record.target, record.case), []).append(record)
    summaries = []
    for (target, case), group in groups.items():
        runs = [r.result for r in group if r.result is not None and r.result.ops > 0]
        if not runs:
            reason = next((r.unavailable for r in group if r.unavailable), None)
            failure = next((r.result.first_error for r in group if r.result), None)
            summaries.append(Summary(target, case, reason or failure or "no operation completed"))
            continue
        summaries.append(
            Summary(
                target=target,
                case=case,
                unavailable=None,
                ops_per_s=spread([r.ops_per_s for r in runs]),
                server_cpu_us=spread([r.server_cpu_us for r in runs]),
                p50_ms=spread([r.p50_ms for r in runs]),
                p99_ms=spread([r.p99_ms for r in runs]),
                server_util=spread([r.server_util for r in runs]),
                driver_cpu_us=spread([r.driver_cpu_us for r in runs]),
                driver_util_max=max(r.driver_util for r in runs),
                errors=sum(r.errors for r in runs),
                first_error=next((r.first_error for r in runs if r.first_error), None),
                rss_mib=max(r.server_rss_mib for r in runs),
            )
        )
    return summaries


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _median(figure: Spread | None) -> str:
    return "n/a" if figure is None else _fmt(figure.median)


def _cell(figure: Spread | None) -> str:
    if figure is None:
        return "n/a"
    if figure.n == 1:
        return _fmt(figure.median)
    return f"{_fmt(figure.median)} [{_fmt(figure.low)}–{_fmt(figure.high)}]"


def markdown(title: str, meta: dict[str, Any], summaries: Sequence[Summary]) -> str:
    """The table the README quotes, with the footnotes a reader needs to trust it."""
    by_key = {(s.target, s.case): s for s in summaries}
    cases = sorted(
        {s.case for s in summaries},
        key=lambda c: (c.concurrency, list(Mode).index(c.mode), ALGORITHMS.index(c.alg)),
    )
    lines = [
        f"# {title}",
        "",
        _meta_line(meta),
        "",
        "Server CPU µs per operation is the headline (read from /proc; it survives a noisy,",
        "shared machine); ops/s and latency are wall-clock. Median [range] over repetitions;",
        "ratios are tessera / node-oidc-provider in this run (CPU: lower is better for",
        "tessera; ops/s: higher is better). The driver column shows the load generator's",
        "own busiest utilisation of its core and CPU per operation: its headroom.",
        "",
        "| mode | alg | c | tessera CPU µs/op | peer CPU µs/op | CPU ratio "
        "| tessera ops/s | peer ops/s | ops/s ratio | tessera p50 / p99 ms "
        "| peer p50 / p99 ms | driver util (max) · CPU/op |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: dict[str, int] = {}
    for case in cases:
        ours, theirs = by_key.get((TESSERA, case)), by_key.get((PEER, case))
        (our_cpu, our_ops, our_lat), (peer_cpu, peer_ops, peer_lat) = (
            _side(ours, notes),
            _side(theirs, notes),
        )
        row = [case.mode.value, case.alg, str(case.concurrency),
               our_cpu, peer_cpu, _ratio(ours, theirs, "server_cpu_us"),
               our_ops, peer_ops, _ratio(ours, theirs, "ops_per_s"),
               our_lat, peer_lat, _driver(ours, theirs)]  # fmt: skip
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", *_error_lines(summaries)]
    lines += [f"[^{mark}]: {reason}" for reason, mark in notes.items()]
    return "\n".join(lines).rstrip() + "\n"


def _side(summary: Summary | None, notes: dict[str, int]) -> tuple[str, str, str]:
    """CPU, throughput and latency cells for one target, or a footnote saying why not."""
    if summary is None or summary.unavailable:
        reason = summary.unavailable if summary and summary.unavailable else "not run"
        mark = f"n/a [^{notes.setdefault(reason, len(notes) + 1)}]"
        return mark, mark, mark
    latency = f"{_median(summary.p50_ms)} / {_median(summary.p99_ms)}"
    return _cell(summary.server_cpu_us), _cell(summary.ops_per_s), latency


def _ratio(ours: Summary | None, theirs: Summary | None, figure: str) -> str:
    if ours is None or theirs is None or ours.unavailable or theirs.unavailable:
        return "–"
    mine, other = getattr(ours, figure), getattr(theirs, figure)
    return f"{mine.median / other.median:.2f}" if other.median else "–"


def _driver(*summaries: Summary | None) -> str:
    """The driver's busiest utilisation and its CPU per operation, over both targets:
    well below 1.0 means the server, not the driver, set the pace."""
    ran = [s for s in summaries if s and s.driver_util_max is not None and s.driver_cpu_us]
    if not ran:
        return "–"
    util = max(s.driver_util_max or 0.0 for s in ran)
    cpu = max(s.driver_cpu_us.median for s in ran if s.driver_cpu_us)
    return f"{util:.2f} · {_fmt(cpu)} µs"


def _error_lines(summaries: Sequence[Summary]) -> list[str]:
    failing = [s for s in summaries if s.errors]
    return [
        f"- errors: {s.target} {s.case.mode.value} {s.case.alg} c={s.case.concurrency}: "
        f"{s.errors} ({s.first_error})"
        for s in failing
    ] + ([""] if failing else [])


def _meta_line(meta: dict[str, Any]) -> str:
    machine = meta["machine"]
    versions = "; ".join(meta["versions"].values())
    pin = meta["pinning"]
    calibration = machine.get("calibration", {})
    signing = (
        f" (one RSA-2048 / P-256 signature: {calibration['rs256_sign_us']:.0f} / "
        f"{calibration['es256_sign_us']:.0f} µs CPU)"
        if calibration
        else ""
    )
    return (
        f"{meta['date']} · {machine['cpu']}, {machine['cores']} cores{signing}, Linux "
        f"{machine['kernel']} · Python {meta['python']}, tessera @ {meta['tessera_revision']}; "
        f"{versions} · servers pinned to core {pin['server_core']}, driver to core "
        f"{pin['driver_core']} · {meta['settings']}"
    )


def write(
    directory: Path,
    name: str,
    title: str,
    meta: dict[str, Any],
    records: Sequence[Record],
) -> tuple[Path, Path]:
    """Write NAME.md and NAME.json; the JSON keeps every run, not only the medians."""
    summaries = summarise(records)
    directory.mkdir(parents=True, exist_ok=True)
    md_path, json_path = directory / f"{name}.md", directory / f"{name}.json"
    md_path.write_text(markdown(title, meta, summaries))
    document = {
        "meta": meta,
        "runs": [record.as_dict() for record in records],
        "summary": [_summary_dict(s) for s in summaries],
    }
    json_path.write_text(json.dumps(document, indent=1, default=str) + "\n")
    return md_path, json_path


def _summary_dict(summary: Summary) -> dict[str, Any]:
    data = asdict(summary)
    data["case"] = {**data["case"], "mode": summary.case.mode.value}
    return data

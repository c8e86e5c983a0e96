"""docs/grafana-dashboard.json is valid JSON whose every expression names only metrics
tessera exports, and which shows every one of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tessera.web.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
# What Prometheus adds to a family's name for each sample of its type.
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def expressions(node: Any) -> Iterator[str]:
    """Every PromQL expression in the dashboard: panel targets and variable queries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item)


def exported() -> dict[str, str]:
    """Sample name -> family name, for every metric a node serves."""
    families = Metrics(clock=lambda: 0.0).registry.collect()
    return {
        family.name + suffix: family.name for family in families for suffix in SUFFIXES[family.type]
    }


def test_every_expression_names_an_exported_metric_and_every_metric_is_shown() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"] and all(panel["targets"] for panel in dashboard["panels"])
    samples = exported()
    named = {
        name
        for expression in expressions(dashboard)
        for name in re.findall(r"\btessera_[a-z_]+\b", expression)
    }
    assert named and named <= set(samples), named - set(samples)
    assert {samples[name] for name in named} == set(samples.values())

"""bench.metrics_cost: the ratio is of medians, and the table says what was measured."""

from __future__ import annotations

from bench.metrics_cost import Cost, render
from bench.ops import Mode


def test_the_ratio_is_the_on_median_over_the_off_median() -> None:
    cost = Cost(Mode.FLOW, off_us=[100.0, 400.0, 200.0], on_us=[210.0, 900.0, 220.0])
    assert cost.ratio == 220.0 / 200.0


def test_the_table_has_a_row_per_mode_with_medians_and_ratio() -> None:
    costs = [
        Cost(Mode.CLIENT_CREDENTIALS, off_us=[300.0, 310.0], on_us=[315.0, 320.0]),
        Cost(Mode.FLOW, off_us=[1000.0, 1000.0], on_us=[1030.0, 1030.0]),
    ]
    table = render(costs, "ES256", 500)
    assert "500 operations x 2 rounds" in table
    assert "| client_credentials | 305 | 318 | 1.041 |" in table.splitlines()
    assert "| flow | 1000 | 1030 | 1.030 |" in table.splitlines()

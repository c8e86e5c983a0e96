"""The benchmark's arithmetic: percentiles, spreads and /proc parsing."""

from __future__ import annotations

import math

import pytest
from bench.memory import Sample, growth_over_last_half
from bench.procstat import parse_rss_kib, parse_stat
from bench.stats import percentile, spread

# A real /proc/<pid>/stat line, with a command name holding a space and a parenthesis.
STAT = (
    "4242 (node (main) x) S 4200 4242 4200 0 -1 4194560 18446 0 12 0 "
    "1530 220 7 3 20 0 11 0 123456 1234567890 23456 18446744073709551615 "
    "1 1 0 0 0 0 0 16781312 17922 0 0 0 17 0 0 0 0 0 0"
)


def test_percentile_is_a_latency_some_request_really_had() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_refuses_nothing_and_out_of_range_fractions() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_spread_gives_median_and_range() -> None:
    figure = spread([3.0, 1.0, 2.0, 10.0])
    assert (figure.median, figure.low, figure.high, figure.n) == (2.5, 1.0, 10.0, 4)
    assert spread([5.0]).median == 5.0


def test_stat_fields_are_counted_from_the_last_parenthesis() -> None:
    stat = parse_stat(STAT)
    assert (stat.pid, stat.ppid) == (4242, 4200)
    assert (stat.utime, stat.stime, stat.cutime, stat.cstime) == (1530, 220, 7, 3)
    assert stat.ticks == 1760


def test_stat_parsing_rejects_other_text() -> None:
    with pytest.raises(ValueError):
        parse_stat("no parenthesis here")


def test_rss_comes_from_vmrss_and_is_zero_for_a_zombie() -> None:
    status = "Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t   81234 kB\nThreads:\t11\n"
    assert parse_rss_kib(status) == 81234
    assert parse_rss_kib("Name:\tzombie\nState:\tZ (zombie)\n") == 0
    assert not math.isnan(parse_rss_kib(status) / 1024)


def test_memory_growth_is_measured_over_the_last_half_of_the_flows() -> None:
    samples = [Sample(0, 90.0, 0.0), Sample(50, 100.0, 1.0), Sample(100, 103.5, 1.0)]
    assert growth_over_last_half(samples) == pytest.approx(3.5)
    uneven = [Sample(0, 90.0, 0.0), Sample(40, 95.0, 1.0), Sample(70, 99.0, 1.0)]
    # 70 flows: growth is counted from the first sample at or past 35.
    assert growth_over_last_half(uneven) == pytest.approx(4.0)

"""The service benchmark's quick variant (``benchmarks/bench_service.py``): it runs by itself
to the end, and its table shows the numbers it measured. No figure is compared with a
target here (the quick numbers are meaningless); docs/performance.md has the real run."""

from __future__ import annotations

import json

import pytest
from benchmarks import bench_service
from benchmarks import run as bench_run
from benchmarks._common import fmt


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-service") / "results.md"
    assert bench_run.main(["--quick", "--only", "service", "--out", str(out)]) == 0
    raw = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    (section,) = raw["sections"].values()
    return out.read_text(encoding="utf-8"), section


def test_the_table_shows_the_measured_numbers(quick):
    text, section = quick
    assert section["columns"] == bench_service.COLUMNS
    rows = [dict(zip(section["columns"], r, strict=True)) for r in section["rows"]]
    assert [r["phase"] for r in rows] == ["load", "soak", "stream under load", "stream idle"]
    for line in ("| " + " | ".join(fmt(c) for c in r) + " |" for r in section["rows"]):
        assert line in text
    data, q = section["data"], bench_service.QUICK
    for row, key in ((rows[0], "load"), (rows[1], "soak")):
        p = data[key]
        assert p["requests"] == row["requests"] == round(q["rate"] * q["seconds" if key == "load"
                                                                       else "soak"])  # fmt: skip
        assert p["errors"] == row["errors"] == p["requests"] - p["ok"]
        assert sum(p["statuses"].values()) == p["requests"]
        assert row["throughput /s"] == p["ok"] / p["elapsed"]
        lat = p["latency_ms"]
        assert row["p50 ms"] == lat["p50"] <= lat["p99"] <= lat["max"] == row["max ms"]
        assert row["server CPU cores"] == p["cpu_cores"] > 0
    rss = data["soak"]["rss"]
    assert rss["growth"] == pytest.approx((rss["end_mib"] - rss["start_mib"]) / rss["start_mib"])
    assert f"({100 * rss['growth']:+.1f}%" in rows[1]["note"]
    for row, key in ((rows[2], "stream_loaded"), (rows[3], "stream_idle")):
        st = data[key]
        assert len(st["latency_ms"]) == st["windows"] == row["requests"]
        assert st["verdicts"] == st["windows"]  # every window answered with a verdict
        assert row["max ms"] == max(st["latency_ms"])
        keeps_up = all(v < 1e3 * st["window_s"] for v in st["latency_ms"])
        assert st["before_next_window"] == keeps_up and (": yes" in row["note"]) == keeps_up
    assert data["exit_status"] == 0  # the server stopped gracefully
    assert data["stored"] >= data["load"]["ok"] + data["soak"]["ok"]

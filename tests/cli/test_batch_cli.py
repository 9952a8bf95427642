"""``rotordx batch``: its help, and its one-line errors (the batches themselves: tests/batch)."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from rotordx.batch import run as batch_run
from rotordx.cli import app
from rotordx.simulate.fleet import FleetConfig, write_fleet

runner = CliRunner()


def _fails(args, message):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    return result


OPTIONS = ("--out", "--model", "--workers", "--scheduler", "--resume", "--partition-by",
           "--rate", "--rpm", "--bearing", "--seed", "--quiet", "--retry-failed")  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A manifest of two short recordings of one machine."""
    root = tmp_path_factory.mktemp("tiny") / "fleet"
    return write_fleet(root, FleetConfig(machines=1, snapshots=2, seconds=0.25), seed=0)


def test_batch_help_lists_its_options():
    r = runner.invoke(app, ["batch", "--help"])
    assert r.exit_code == 0
    for option in OPTIONS:
        assert option in r.output, option


def test_batch_errors_are_one_line(tiny, small_group_dir, tmp_path):
    out = tmp_path / "out"
    _fails(["batch", tmp_path / "none.csv", "--out", out], "no such file or folder")
    _fails(["batch", small_group_dir, "--out", out], "use `rotordx diagnose`")
    _fails(["batch", tiny, "--out", out, "--workers", 2, "--scheduler", "tcp://127.0.0.1:1"],
           "with --scheduler leave it out")  # fmt: skip
    _fails(["batch", tiny, "--out", out, "--workers", 0], "--workers must be a positive")
    _fails(["batch", tiny, "--out", out, "--partition-by", "label"], "must be one of machine")
    _fails(["batch", tiny, "--out", out, "--rpm", -3], "rpm must be a positive number")
    _fails(["batch", tiny, "--out", out, "--model", tmp_path / "nomodel"], "nomodel")
    _fails(["batch", tiny, "--out", out, "--resume", "--force"], "pick one")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("x")
    _fails(["batch", tiny, "--out", tmp_path / "mine"], "holds no batch results")


def test_batch_unreachable_scheduler(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_run, "CONNECT_TIMEOUT", 1.0)
    _fails(["batch", tiny, "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9"],
           "no Dask scheduler answers there")  # fmt: skip


def test_batch_without_the_extra_names_it(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    _fails(["batch", tiny, "--out", tmp_path / "o"], "pip install 'rotordx[batch]'")

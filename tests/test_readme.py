"""The README's Python examples run as written (on small simulated groups)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from rotordx.io import write_kamp_group
from rotordx.simulate import TestbedConfig, simulate_testbed

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """``data/`` (110 s: enough for the seed's 60k/20k/20k split) and ``other-data/`` (20 s)."""
    root = tmp_path_factory.mktemp("readme")
    write_kamp_group(root / "data", simulate_testbed(TestbedConfig(seconds=110.0), seed=0))
    other = TestbedConfig(seconds=20.0, rpm=1750.0)
    write_kamp_group(root / "other-data", simulate_testbed(other, seed=1))
    return root


def test_the_readme_has_its_examples():
    blocks = _blocks()
    assert len(blocks) == 2
    assert "diagnose_path" in blocks[0] and "seed_split" in blocks[1]


def test_train_and_diagnose_example(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    scope = runpy.run_path(_write(workdir / "example1.py", _blocks()[0]))
    assert scope["metrics"]["model"] == "features"
    assert (workdir / "runs" / "features" / "bundle.json").is_file()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # one diagnosis per machine state of other-data/
    assert [line.split()[1] for line in lines] == ["normal", "type1", "type2", "type3"]


def test_seed_pipeline_example(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    # as written, but 2 epochs instead of 50 (the API is what is checked here)
    code = _blocks()[1].replace("max_epochs=50", "max_epochs=2")
    assert code != _blocks()[1]
    scope = runpy.run_path(_write(workdir / "example2.py", code))
    history = scope["history"]
    assert history.epochs_run == 2 and len(history.valid_accuracy) == 2
    assert len(scope["train"]) == 4 * 60_000 and len(scope["test"]) == 4 * 20_000


def _write(path: Path, code: str) -> str:
    path.write_text(code, encoding="utf-8")
    return str(path)

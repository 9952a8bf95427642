"""The cache of preprocessed groups: hits, misses, stale and corrupt entries, the switches."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.cache import CACHE_ENV, default_cache_dir, resolve_cache_dir
from rotordx.data.preprocessed import preprocess_to_parquet
from rotordx.data.seed import PreprocessConfig
from rotordx.data.seed_folder import load_preprocessed_folder, preprocess_folder

runner = CliRunner()


@pytest.fixture
def group(small_group_dir, tmp_path):
    """A private copy of the small group (the tests modify it)."""
    d = tmp_path / "group"
    shutil.copytree(small_group_dir, d)
    return d


def _entries(cache):
    return sorted((cache / "preprocessed").glob("*.parquet"))


def test_miss_then_hit_gives_the_same_numbers(group, tmp_path):
    cache = tmp_path / "cache"
    ref = preprocess_folder(group)
    first, s1 = load_preprocessed_folder(group, cache=cache)
    second, s2 = load_preprocessed_folder(group, cache=cache)
    assert (s1, s2) == ("miss", "hit")
    assert len(_entries(cache)) == 1
    for d in (first, second):
        np.testing.assert_array_equal(d.signals, ref.signals)
        np.testing.assert_array_equal(d.time, ref.time)
        assert d.scaler == ref.scaler and d.config == ref.config


def test_hit_with_another_scaler(group, other_group_dir, tmp_path):
    cache = tmp_path / "cache"
    other = preprocess_folder(other_group_dir)
    load_preprocessed_folder(group, cache=cache)
    data, status = load_preprocessed_folder(group, cache=cache, scaler=other.scaler)
    assert status == "hit"
    np.testing.assert_array_equal(
        data.signals, preprocess_folder(group, scaler=other.scaler).signals
    )


def test_parameters_are_part_of_the_key(group, tmp_path):
    cache = tmp_path / "cache"
    load_preprocessed_folder(group, cache=cache)
    data, status = load_preprocessed_folder(
        group, cache=cache, config=PreprocessConfig(ma_window=5)
    )
    assert status == "miss" and len(_entries(cache)) == 2
    np.testing.assert_array_equal(
        data.signals, preprocess_folder(group, config=PreprocessConfig(ma_window=5)).signals
    )


def test_changed_source_makes_the_entry_stale(group, tmp_path):
    cache = tmp_path / "cache"
    load_preprocessed_folder(group, cache=cache)
    path = group / "g1_sensor3.csv"
    lines = path.read_text().splitlines()
    lines[100] = lines[100].replace("-", "+", 1) if "-" in lines[100] else "0" + lines[100]
    st = path.stat()
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same modification time
    data, status = load_preprocessed_folder(group, cache=cache)
    assert status == "stale"
    np.testing.assert_array_equal(data.signals, preprocess_folder(group).signals)
    assert len(_entries(cache)) == 1  # replaced, not added
    assert load_preprocessed_folder(group, cache=cache)[1] == "hit"


def test_touched_source_makes_the_entry_stale(group, tmp_path):
    cache = tmp_path / "cache"
    load_preprocessed_folder(group, cache=cache)
    path = group / "g1_sensor1.csv"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_preprocessed_folder(group, cache=cache)[1] == "stale"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_data", "empty"])
def test_corrupt_entry_is_rebuilt_not_used(group, tmp_path, damage):
    cache = tmp_path / "cache"
    ref, _ = load_preprocessed_folder(group, cache=cache)
    (entry,) = _entries(cache)
    raw = bytearray(entry.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "garbage":
        raw = bytearray(b"not parquet at all" * 10)
    elif damage == "empty":
        raw = bytearray()
    else:  # one bit in the middle of the data pages: only the page checksum sees it
        raw[len(raw) // 3] ^= 0x10
    entry.write_bytes(bytes(raw))
    data, status = load_preprocessed_folder(group, cache=cache)
    assert status == "corrupt"
    np.testing.assert_array_equal(data.signals, ref.signals)
    assert load_preprocessed_folder(group, cache=cache)[1] == "hit"


def test_streaming_parquet_uses_and_repairs_the_cache(group, tmp_path):
    cache = tmp_path / "cache"
    a = preprocess_to_parquet(group, tmp_path / "a.parquet", cache=cache)
    b = preprocess_to_parquet(group, tmp_path / "b.parquet", cache=cache)
    assert (a["cache"], b["cache"]) == ("miss", "hit")
    assert (
        tmp_path.joinpath("a.parquet").read_bytes() == tmp_path.joinpath("b.parquet").read_bytes()
    )
    (entry,) = _entries(cache)
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    entry.write_bytes(bytes(raw))
    c = preprocess_to_parquet(group, tmp_path / "c.parquet", cache=cache)
    assert c["cache"] == "corrupt"
    assert (
        tmp_path.joinpath("c.parquet").read_bytes() == tmp_path.joinpath("a.parquet").read_bytes()
    )


def test_unwritable_cache_only_warns(group, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not write the cache entry"):
        data, status = load_preprocessed_folder(group, cache=blocker / "cache")
    assert status == "miss"
    np.testing.assert_array_equal(data.signals, preprocess_folder(group).signals)


def test_cache_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert resolve_cache_dir(True) == tmp_path / "c"
    assert resolve_cache_dir(False) is None
    assert resolve_cache_dir(tmp_path / "x") == tmp_path / "x"
    for off in ("off", "0", "none", ""):
        monkeypatch.setenv(CACHE_ENV, off)
        assert resolve_cache_dir(True) is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "rotordx"


def test_cli_caches_unless_told_not_to(group, tmp_path, monkeypatch):
    cache = tmp_path / "cli-cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    out = tmp_path / "out"
    r = runner.invoke(app, ["preprocess", str(group), str(out / "a.parquet"), "--no-cache"])
    assert r.exit_code == 0, r.output
    assert not cache.exists()
    r = runner.invoke(app, ["preprocess", str(group), str(out / "b.parquet")])
    assert r.exit_code == 0, r.output
    assert len(_entries(cache)) == 1
    assert (out / "a.parquet").read_bytes() == (out / "b.parquet").read_bytes()

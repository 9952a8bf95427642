"""What a path is (``rotordx.io.sources``): the one place that recognises a path.

Every kind is recognised from what the path holds; a path of no known kind, or of a
kind the caller cannot use, is refused with one message saying what was found and what
was expected. Where a file can only be a manifest (or a preprocessed Parquet file) for
the caller, it is read as one, so that the reader's own message says what is wrong.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io
import scipy.io.wavfile
from typer.testing import CliRunner

from rotordx.cli import app
from rotordx.data.dataset import kamp_signals, load_data
from rotordx.data.preprocessed import load_dataset, preprocess_to_parquet
from rotordx.exceptions import DataError, ParameterError
from rotordx.io.manifest import read_manifest
from rotordx.io.sources import (
    CWRU_FOLDER,
    KAMP,
    KINDS,
    MANIFEST,
    PREPROCESSED,
    PREPROCESSED_KEY,
    RECORDING,
    Source,
    entries_of,
    open_source,
    read_recording,
)
from support import write_machine_manifest

FS = 1000.0


@pytest.fixture(scope="module")
def files(tmp_path_factory, small_group_dir):
    """One path of every kind (and some that are of none), in one folder."""
    d = tmp_path_factory.mktemp("sources")
    t = np.arange(2000) / FS
    a, b = np.sin(2 * np.pi * 30 * t), 0.5 * np.cos(2 * np.pi * 45 * t)
    paths = {"kamp": small_group_dir}
    (d / "manifest").mkdir()
    paths["manifest"] = write_machine_manifest(d / "manifest")
    paths["csv"] = d / "rec.csv"
    np.savetxt(
        paths["csv"], np.column_stack([t, a, b]), delimiter=",", header="time,x,y", comments=""
    )
    paths["parquet"] = d / "rec.parquet"
    pq.write_table(pa.table({"x": a, "y": b}), paths["parquet"])
    paths["preprocessed"] = d / "pre.parquet"
    preprocess_to_parquet(small_group_dir, paths["preprocessed"])
    paths["wav"] = d / "rec.wav"
    scipy.io.wavfile.write(paths["wav"], 4000, a.astype(np.float32))
    paths["mat"] = d / "12k_Drive_End_IR007_0_105.mat"
    scipy.io.savemat(paths["mat"], {"X105_DE_time": a[:, None], "X105RPM": np.array([[1797.0]])})
    paths["empty"] = d / "empty"
    paths["empty"].mkdir()
    paths["xls"] = d / "table.xls"
    paths["xls"].write_text("1,2\n")
    paths["noext"] = d / "README"
    paths["noext"].write_text("text\n")
    paths["missing"] = d / "nothing-here.csv"
    return paths


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("kamp", KAMP),
        ("manifest", MANIFEST),
        ("csv", RECORDING),
        ("parquet", RECORDING),
        ("preprocessed", PREPROCESSED),
        ("wav", RECORDING),
        ("mat", RECORDING),
    ],
)
def test_each_kind_is_recognised(files, name, kind):
    source = open_source(files[name])
    assert source == Source(files[name], kind)
    assert source.description == KINDS[kind]
    # accepted alone, too: the kind does not depend on what else the caller accepts
    assert open_source(files[name], accept=(kind,)).kind == kind
    assert open_source(str(files[name]), accept=(kind,)).path == files[name]


def test_a_folder_of_cwru_files(cwru_like_dir):
    source = open_source(cwru_like_dir)
    assert source.kind == CWRU_FOLDER and source.description == KINDS[CWRU_FOLDER]
    entries = entries_of(source)
    assert len(entries) == len(list(cwru_like_dir.glob("*.mat")))
    assert {e.label for e in entries} == {"normal", "ball", "inner_race", "outer_race"}


def test_the_real_cwru_folder(cwru_dir):
    assert open_source(cwru_dir).kind == CWRU_FOLDER
    assert len(entries_of(open_source(cwru_dir))) == 31


def test_preprocessed_means_rotordx_metadata(files, tmp_path):
    # a Parquet file is preprocessed exactly when its schema carries rotordx's key
    table = pq.read_table(files["parquet"])
    marked = tmp_path / "marked.parquet"
    pq.write_table(table.replace_schema_metadata({PREPROCESSED_KEY: b"{}"}), marked)
    assert open_source(marked).kind == PREPROCESSED
    assert PREPROCESSED_KEY in pq.read_schema(files["preprocessed"]).metadata
    # an unreadable .parquet is a recording, whose reader says what is wrong with it
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert open_source(broken).kind == RECORDING
    with pytest.raises(DataError, match=r"broken\.parquet"):
        read_recording(broken, rate=FS)
    # for a caller that takes only preprocessed files, it is one: the reader's message
    assert open_source(broken, accept=(KAMP, PREPROCESSED)).kind == PREPROCESSED
    with pytest.raises(DataError, match=r"broken\.parquet"):
        load_dataset(broken)


def test_recordings_of_every_format_are_read(files):
    csv = read_recording(files["csv"])
    assert csv.recording.fs == pytest.approx(FS) and csv.recording.channel_names == ("x", "y")
    pqr = read_recording(files["parquet"], rate=FS, channels=("y",))
    assert pqr.recording.channel_names == ("y",) and pqr.recording.signals.shape == (1, 2000)
    wav = read_recording(files["wav"])
    assert wav.recording.fs == 4000.0 and wav.recording.signals.shape == (1, 2000)
    mat = read_recording(files["mat"])
    assert (mat.label, mat.rpm, mat.condition) == ("inner_race", 1797.0, "0hp")
    assert mat.recording.fs == 12000.0 and mat.recording.channel_names == ("DE",)
    with pytest.raises(DataError, match="has no channel 'z'; channels present: x, y"):
        read_recording(files["parquet"], rate=FS, channels=("z",))
    with pytest.raises(DataError, match="says 4000 Hz"):
        read_recording(files["wav"], rate=8000.0)


def test_manifest_entries(files):
    entries = entries_of(open_source(files["manifest"]))
    assert [e.label for e in entries] == ["normal"] * 2 + ["unbalance"] * 2 + ["loose"] * 2
    with pytest.raises(ParameterError, match="has no manifest entries"):
        entries_of(open_source(files["kamp"]))


# -- refusals -----------------------------------------------------------------------------------


def test_missing_path(files):
    with pytest.raises(DataError, match="no such file or folder") as info:
        open_source(files["missing"])
    assert str(info.value) == f"{files['missing']}: no such file or folder"


def test_empty_folder(files):
    empty = files["empty"]
    with pytest.raises(DataError) as info:
        open_source(empty)
    assert str(info.value) == (
        f"{empty}: neither a KAMP group (g<N>_sensor1.csv …) nor CWRU .mat files"
    )
    with pytest.raises(DataError) as info:  # a caller of KAMP groups only
        open_source(empty, accept=(KAMP, PREPROCESSED))
    assert str(info.value) == (
        f"{empty}: no KAMP group found; expected files g<N>_sensor1.csv … g<N>_sensor4.csv"
    )


@pytest.mark.parametrize(("name", "shown"), [("xls", "'.xls'"), ("noext", "'(no extension)'")])
def test_unknown_extension(files, name, shown):
    path = files[name]
    with pytest.raises(DataError) as info:
        open_source(path)
    expected = " or ".join(KINDS.values())
    assert str(info.value) == f"{path}: unknown kind of file {shown}; expected {expected}"
    with pytest.raises(DataError) as info:
        open_source(path, accept=(KAMP, MANIFEST))
    assert str(info.value).endswith(f"expected {KINDS[KAMP]} or {KINDS[MANIFEST]}")


@pytest.mark.parametrize(
    ("name", "accept"),
    [
        ("kamp", (MANIFEST,)),
        ("wav", (KAMP, CWRU_FOLDER, MANIFEST)),
        ("preprocessed", (KAMP,)),
        ("manifest", (KAMP, PREPROCESSED)),
        ("mat", (KAMP, PREPROCESSED)),
    ],
)
def test_a_kind_the_caller_does_not_accept(files, name, accept):
    path = files[name]
    found = open_source(path).kind
    with pytest.raises(DataError) as info:
        open_source(path, accept=accept, hint="; try something else")
    expected = " or ".join(KINDS[k] for k in accept)
    assert str(info.value) == f"{path}: {KINDS[found]}; expected {expected}; try something else"


def test_callers_say_what_they_expected(files):
    # the seed's smoothing and scaling are baked into a preprocessed file: raw data only
    with pytest.raises(DataError, match="smoothing and scaling baked in") as info:
        kamp_signals(files["preprocessed"])
    assert str(info.value).startswith(f"{files['preprocessed']}: {KINDS[PREPROCESSED]}")
    with pytest.raises(DataError) as info:
        load_data(files["wav"])
    expected = " or ".join(KINDS[k] for k in (KAMP, CWRU_FOLDER, MANIFEST))
    assert str(info.value) == f"{files['wav']}: {KINDS[RECORDING]}; expected {expected}"


@pytest.mark.parametrize("accept", [(), ("kamp", "zip"), ("folder",)])
def test_accept_names_known_kinds(files, accept):
    with pytest.raises(ParameterError, match="accept must list kinds from kamp, cwru_folder"):
        open_source(files["kamp"], accept=accept)


# -- a malformed manifest: the manifest reader's own message -----------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "manifest is empty; expected a header row with the columns path,label"),
        ("\n\n", "manifest is empty"),
        ("path,rate\nrec.csv,1000\n", "line 1: missing column(s) label; found path,rate"),
        ("file,label\nrec.csv,normal\n", "line 1: missing column(s) path"),
    ],
)
def test_a_malformed_manifest_gets_the_manifest_readers_message(tmp_path, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataError) as reader:
        read_manifest(path)
    assert message in str(reader.value)
    # a data-set caller takes a .csv only as a manifest: it reads it as one
    assert open_source(path, accept=(KAMP, CWRU_FOLDER, MANIFEST)).kind == MANIFEST
    with pytest.raises(DataError) as loader:
        load_data(path)
    assert str(loader.value) == str(reader.value)
    # and so do the commands that train on data sets
    result = CliRunner().invoke(
        app, ["train", str(path), "--model", "features", "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 1
    assert f"error: {reader.value}" in " ".join(result.output.split())
    assert "Traceback" not in result.output and not (tmp_path / "run").exists()
    # a caller that takes recordings too sees a recording file (it has no manifest header)
    assert open_source(path).kind == RECORDING

"""The self-contained HTML report (``rotordx.workflows.report``) on a small simulated group."""

from __future__ import annotations

import base64
import re
import shutil

import numpy as np
import pytest

from rotordx import DataError, __version__
from rotordx.classes import KAMP_CLASSES, meaning
from rotordx.data.splits import WindowConfig
from rotordx.workflows.report import class_spectra, write_report

#: 12 s recordings: 512-sample windows give 24 train and 7 test windows per class.
SMALL_WINDOW = WindowConfig(window=512, hop=256)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SECTIONS = (
    "Amplitude spectra per sensor",
    "Order amplitudes and vibration severity",
    "Feature distributions per class",
    "Physics-feature model",
    "How to read this report",
)


@pytest.fixture(scope="module")
def report(small_group_dir, tmp_path_factory):
    """(data dir, output dir, html) of one report; the data folder's name needs escaping."""
    data = tmp_path_factory.mktemp("report_data") / 'rig <A&B> "1"'
    shutil.copytree(small_group_dir, data)
    out_dir = tmp_path_factory.mktemp("report_out")
    out = out_dir / "report.html"
    out.write_text("previous report", encoding="utf-8")  # replaced atomically
    path = write_report(data, out, window=SMALL_WINDOW, seed=0)
    assert path == out
    return data, out_dir, out.read_text(encoding="utf-8")


def test_report_is_one_html_document(report):
    doc = report[2]
    assert doc.startswith("<!DOCTYPE html>")
    assert doc.rstrip().endswith("</html>")
    assert doc.count("<body>") == 1 and doc.count("</body>") == 1
    for title in SECTIONS:
        assert title in doc
    for name in (meaning(c) for c in KAMP_CLASSES):
        assert html_escaped(name) in doc
    assert f"rotordx {__version__}" in doc
    assert "rpm" in doc and "ISO 20816-3" in doc


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_report_is_self_contained(report):
    _, _, doc = report
    assert "http://" not in doc and "https://" not in doc
    assert "<script" not in doc.lower()
    assert "<link" not in doc.lower()
    # every image is embedded, and every embedded image is a PNG
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', doc)
    assert len(srcs) >= 4
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:
        raw = base64.b64decode(s.split(",", 1)[1], validate=True)
        assert raw.startswith(PNG_MAGIC) and len(raw) > 1000
    # in-page links only
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', doc))


def test_report_escapes_text(report):
    doc = report[2]
    assert "rig &lt;A&amp;B&gt; &quot;1&quot;" in doc
    assert "<A&B>" not in doc


def test_report_written_atomically(report):
    _, out_dir, doc = report
    assert [p.name for p in out_dir.iterdir()] == ["report.html"]
    assert "previous report" not in doc


def test_report_tables(report):
    _, _, doc = report
    # one row per class and sensor in the order table, zones A-D only
    assert doc.count('<tr class="first">') == len(KAMP_CLASSES)
    for order in ("0.5x", "1x", "1.5x", "2x", "3x"):
        assert f"<th>{order}</th>" in doc
    zones = re.findall(r'text-align:center">([A-Z])</td>', doc)
    assert zones and set(zones) <= set("ABCD")


def test_report_accuracy_matches_an_independent_fit(report, small_group_dir):
    from rotordx.data.dataset import Dataset, kamp_signals
    from rotordx.data.splits import split_dataset
    from rotordx.models import make_classifier

    _, _, doc = report
    tr, va, te = split_dataset(
        Dataset.from_arrays(kamp_signals(small_group_dir), fs=1000.0), config=SMALL_WINDOW, seed=0
    )
    clf = make_classifier("features", fs=1000.0)
    clf.fit(tr, va, seed=0)
    acc = float((clf.predict(te.X) == te.y).mean())
    shown = re.search(r"Test accuracy ([\d.]+) %", doc)
    assert shown is not None
    assert shown.group(1) == f"{acc * 100:.2f}"
    assert f"{len(te)} test windows" in doc


def test_missing_data_folder_raises_data_error(tmp_path):
    out = tmp_path / "out" / "report.html"
    with pytest.raises(DataError):
        write_report(tmp_path / "no-such-folder", out)
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_window_too_short_for_speed_estimate(small_group_dir, tmp_path):
    out = tmp_path / "report.html"
    with pytest.raises(DataError, match="too short"):
        write_report(small_group_dir, out, window=WindowConfig(window=256, hop=128))
    assert list(tmp_path.iterdir()) == []


def test_class_spectra_reads_sine_amplitude():
    fs, n = 1000.0, 8192
    t = np.arange(n) / fs
    signals = np.stack([np.stack([0.7 * np.sin(2 * np.pi * 37.3 * t) + 0.2, 0.1 * t])])
    freqs, amp = class_spectra(signals, fs=fs, window=1024)
    assert amp.shape == (1, 2, freqs.size)
    k = int(np.argmax(amp[0, 0]))
    assert abs(freqs[k] - 37.3) < 0.5
    assert amp[0, 0, k] == pytest.approx(0.7, rel=0.02)
    assert amp[0, 0, 0] < 0.01  # the mean is removed

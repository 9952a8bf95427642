"""The generic recording reader (CSV / Parquet with or without a time column): clear errors."""

from __future__ import annotations

import pytest

from rotordx.exceptions import DataError
from rotordx.io import read_channels


@pytest.mark.parametrize(
    ("name", "text", "kwargs", "pattern"),
    [
        ("a.csv", "1,2\n3,4\n", {}, "give the sample rate with --rate"),
        ("a.csv", "", {}, "file is empty"),
        ("a.xls", "1,2\n", {"rate": 10.0}, "unknown extension '.xls'"),
        ("a.csv", "time,a\n0,1\n0,2\n", {}, "time does not increase"),
        ("a.csv", "a,b\n1,x\n", {"rate": 10.0}, "column 'b'"),
    ],
)
def test_generic_reader_errors(tmp_path, name, text, kwargs, pattern):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(DataError, match=pattern):
        read_channels(p, **kwargs)

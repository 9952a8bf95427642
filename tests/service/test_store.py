"""The store in-process, on SQLite and PostgreSQL: the migrations give exactly the tables of
the models, diagnoses computed elsewhere are imported all or none, raw files of uploads cut
short are finished or removed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from rotordx.diagnosis.api import diagnose
from rotordx.diagnosis.result import Context
from rotordx.exceptions import ParameterError
from rotordx.io.recording import Recording
from rotordx.service import store
from rotordx.service.db import Base, Database
from rotordx.service.importer import insert_diagnoses, insert_diagnosis
from rotordx.service.jobs import Outcome
from rotordx.service.rawfiles import RawStore, recover_raw
from service_support import snapshots

SNAPS = snapshots(3, seed=8)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres").database()
    d = Database(url)
    assert d.migrate() == "0001"
    yield d
    d.close()


def _result(snap) -> dict:
    rec = Recording(snap.name, snap.acceleration(), float(snap.fs), ("x", "y", "z"))
    return diagnose(rec, context=Context(rpm=snap.rpm, machine="imp")).to_dict()


def test_the_migrations_make_the_tables_of_the_models(db):
    assert db.migrate() == "0001" and db.revision() == "0001"  # a second start: nothing to do
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_import_stores_rows_computed_elsewhere(db):
    t0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    rows = []
    for i, snap in enumerate(SNAPS):
        r = _result(snap)
        # as a Parquet row of a batch would hold them: nested fields as JSON text
        flat = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in r.items()}
        rows.append(
            flat | {"machine": "imp", "time": (t0 + dt.timedelta(minutes=i)).isoformat(),
                    "recording_rate": snap.fs, "recording_samples": snap.signals.shape[1]}
        )  # fmt: skip
    ids = insert_diagnoses(db, rows)
    assert len(ids) == 3
    hist = store.history(db, "imp", full=True)
    assert [h["id"] for h in hist] == ids[::-1]
    for h, snap in zip(hist[::-1], SNAPS, strict=True):
        want = _result(snap)
        assert h["diagnosis"]["sensors"] == json.loads(json.dumps(want["sensors"]))
        assert h["verdict"] == want["verdict"] and h["source"] == "import"
        assert h["recording"]["rate"] == snap.fs and h["recording"]["name"] == snap.name
        assert h["orders"]["1x"] == max(s["velocity_orders_mm_s"]["1x"] for s in want["sensors"])
    (m,) = store.list_machines(db)
    assert m["name"] == "imp" and m["diagnoses"] == 3 and m["latest"]["id"] == ids[-1]
    one = insert_diagnosis(db, _result(SNAPS[0]) | {"machine": "imp", "time": 1.7e9})
    assert one > max(ids) and store.history(db, "imp", limit=10)[-1]["id"] == one  # oldest


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ({"machine": None}, "row 2: no machine"),
        ({"time": "later"}, "row 2: time must be"),
        ({"verdict": None}, "row 2: no verdict"),
        ({"sensors": "{not json"}, "row 2: column 'sensors' is not JSON"),
        ({"machine": "a/b"}, "row 2: machine 'a/b'"),
    ],
)
def test_a_bad_row_stores_nothing(db, bad, fragment):
    good = _result(SNAPS[1]) | {"machine": "imp2", "time": "2026-02-01T00:00:00Z"}
    with pytest.raises(ParameterError, match=fragment):
        insert_diagnoses(db, [good, good | bad])
    assert store.list_machines(db) == []


def test_recover_raw_finishes_committed_files_and_removes_the_rest(db, tmp_path):
    raw = RawStore(tmp_path / "raw")
    outcome = Outcome(
        diagnosis=_result(SNAPS[0]),
        recording={"name": "a.f32", "format": "f32", "rate": 4096.0},
        spectrum=None,
        model="physics",
        seconds=0.01,
    )
    store.put_machine(db, "rec", {})
    m = store.get_machine(db, "rec")
    committed, lost = raw.new(m.id, dt.datetime.now(dt.UTC)), raw.new(m.id, dt.datetime.now(dt.UTC))
    for path, _ in (committed, lost):
        path.write_bytes(b"PAR1")
    (raw.incoming / "x.parquet.123.tmp").write_bytes(b"half")
    # the process died after the commit of the first, before its move; the second never
    # reached the database
    stored = store.store_outcome(db, "rec", outcome, time=None, source="upload", size=1)
    with db.write() as s:
        s.execute(
            text(
                "UPDATE recordings SET raw_path = :p "
                "WHERE id = (SELECT recording_id FROM diagnoses WHERE id = :i)"
            ),
            {"p": committed[1], "i": stored.id},
        )
    assert recover_raw(db, raw) == (1, 2)
    assert (raw.root / committed[1]).is_file() and not (raw.root / lost[1]).exists()
    assert list(raw.incoming.iterdir()) == []

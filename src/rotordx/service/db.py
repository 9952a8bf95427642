"""The service's tables (SQLAlchemy 2), its engine, and its migrations (Alembic).

Three tables and one cache:

* ``machines`` — one row per monitored machine: its metadata (bearing, nominal
  rpm, channel names and directions, units, severity thresholds) and, kept in
  the same transaction as every diagnosis, its latest diagnosis and count;
* ``recordings`` — what was received: measurement time, arrival, source
  (upload, stream, import), file name and format, rate, channels, samples,
  bytes, and where its samples are kept as Parquet when ``--raw-dir`` is given
  (never as blobs in the database);
* ``diagnoses`` — one per recording: verdict, faults, confidence, severity,
  rpm, 1x/2x and the other order amplitudes, the model, and the whole
  ``Diagnosis.to_dict()``;
* ``spectra`` — the latest spectrum of each machine (one row per machine, for
  the live page).

The schema is created and upgraded by the Alembic scripts in ``migrations/``
(shipped in the package) on every start, :meth:`Database.migrate`. SQLite runs
in WAL mode with ``synchronous=FULL`` (a committed diagnosis survives a crash
of the process and of the machine) and takes its write lock at the start of a
write transaction (``BEGIN IMMEDIATE``), so concurrent writers wait in turn
instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from rotordx.exceptions import ParameterError

__all__ = [
    "MIGRATIONS",
    "Base",
    "Database",
    "DiagnosisRow",
    "MachineRow",
    "RecordingRow",
    "SpectrumRow",
    "UTCDateTime",
    "safe_url",
    "utcnow",
]

#: The Alembic scripts shipped with the package.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> dt.datetime:
    """Now, in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC time on every database (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """The service's tables."""


class MachineRow(Base):
    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    bearing: Mapped[str | None] = mapped_column(String(100))
    rpm: Mapped[float | None] = mapped_column(Float)
    channels: Mapped[list | None] = mapped_column(JSON)
    directions: Mapped[list | None] = mapped_column(JSON)
    units: Mapped[str | None] = mapped_column(String(8))
    sensitivity: Mapped[str | None] = mapped_column(String(40))
    thresholds: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(500))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: the newest diagnosis by measurement time (no foreign key: the tables would be a cycle)
    latest_id: Mapped[int | None] = mapped_column(Integer)
    latest_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    n_diagnoses: Mapped[int] = mapped_column(Integer, default=0)


class RecordingRow(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    rate: Mapped[float | None] = mapped_column(Float)
    channels: Mapped[list | None] = mapped_column(JSON)
    samples: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[str | None] = mapped_column(String(8))
    raw_path: Mapped[str | None] = mapped_column(String(300), unique=True)

    __table_args__ = (Index("ix_recordings_machine_time", "machine_id", "time"),)


class DiagnosisRow(Base):
    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    verdict: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    faults: Mapped[list] = mapped_column(JSON)
    severity_mm_s: Mapped[float | None] = mapped_column(Float)
    zone: Mapped[str | None] = mapped_column(String(4))
    rpm: Mapped[float | None] = mapped_column(Float)
    rpm_source: Mapped[str | None] = mapped_column(String(32))
    order_1x: Mapped[float | None] = mapped_column(Float)
    order_2x: Mapped[float | None] = mapped_column(Float)
    orders: Mapped[dict] = mapped_column(JSON)
    model: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_diagnoses_machine_time", "machine_id", "time"),)


class SpectrumRow(Base):
    __tablename__ = "spectra"

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("machines.id", ondelete="CASCADE"), primary_key=True
    )
    diagnosis_id: Mapped[int] = mapped_column(Integer)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict] = mapped_column(JSON)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # the driver's own transaction handling off: SQLAlchemy's begin event below emits BEGIN
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    # a writer takes the write lock at once: two writers wait in turn (busy_timeout)
    # instead of deadlocking on the upgrade from a read lock
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


class Database:
    """The engine and sessions of one database URL (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        try:
            if self.dialect == "sqlite":
                path = url.split("///", 1)[1] if "///" in url else ""
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = create_engine(
                    url, connect_args={"check_same_thread": False, "timeout": 30}
                )
                event.listen(self.engine, "connect", _sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin)
            else:
                self.engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
            raise ParameterError(f"--db {self.safe_url}: {_reason(exc)}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def safe_url(self) -> str:
        """The URL without its password (for messages and logs)."""
        return safe_url(self.url)

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest revision; returns it."""
        from alembic import command  # lazy: alembic is needed at start only
        from alembic.config import Config  # lazy: as above
        from alembic.script import ScriptDirectory  # lazy: as above

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise ParameterError(f"--db {self.safe_url}: {_reason(exc)}") from None
        return ScriptDirectory.from_config(cfg).get_current_head() or ""

    def revision(self) -> str | None:
        """The schema revision the database is at."""
        from alembic.runtime.migration import MigrationContext  # lazy: as in migrate

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading."""
        with self._sessions() as s:
            yield s

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is one transaction, committed at the end of the block."""
        with self.engine.connect() as conn:
            conn.info["write"] = True  # before the session begins: BEGIN IMMEDIATE on SQLite
            try:
                with Session(bind=conn, expire_on_commit=False) as s:
                    yield s
                    s.commit()
            finally:
                conn.info["write"] = False

    def check(self) -> None:
        """A trivial query (health)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    cred, _, host = tail.rpartition("@")
    user = cred.split(":", 1)[0]
    return f"{head}://{user}{':***' if ':' in cred else ''}@{host}"


def _reason(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text_[0][:300] if text_ else type(exc).__name__

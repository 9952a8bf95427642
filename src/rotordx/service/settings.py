"""What the service is told to do: its settings, checked once, and its API keys.

Nothing here imports the web framework (``rotordx serve`` names the ``service`` extra
when it is missing).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rotordx.exceptions import ParameterError

__all__ = [
    "DEFAULT_DB",
    "Settings",
    "configure",
    "current",
    "database_url",
    "load_api_keys",
]

#: The embedded database in the working folder.
DEFAULT_DB = "rotordx.db"
#: Shortest API key accepted (characters).
MIN_KEY_LENGTH = 16
_KEY = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """How to serve (``rotordx serve --help`` says the same, option by option).

    Attributes
    ----------
    db : str
        A SQLAlchemy URL (``sqlite:///…``, ``postgresql+psycopg://…``) or the path
        of a SQLite file.
    model : Path, optional
        A run folder or an ``.onnx`` export; ``None``: the physics decides.
    workers : int
        Diagnosis worker processes (default: one per CPU).
    queue : int
        Diagnoses that may wait for a worker; beyond, 503 with Retry-After.
    max_upload : int
        Largest request body in bytes (413 beyond).
    timeout : float
        Seconds a request may take (504 beyond; a stuck worker is replaced).
    raw_dir : Path, optional
        Keep every recording's samples as a Parquet file under this folder.
    cors_origins : tuple of str
        Origins allowed by CORS (none: CORS off).
    api_keys : tuple of str
        Keys accepted as ``Authorization: Bearer KEY`` (none: no authentication).
    """

    db: str = DEFAULT_DB
    model: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=_cpus)
    queue: int = 64
    max_upload: int = 32 * 2**20
    timeout: float = 30.0
    raw_dir: Path | None = None
    cors_origins: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    max_streams: int = 32
    threads: int = 1
    log_level: str = "info"
    demo: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "db", database_url(self.db))
        for name, lo, hi in (
            ("port", 0, 65535),
            ("workers", 1, 256),
            ("queue", 0, 100_000),
            ("max_streams", 1, 10_000),
            ("threads", 1, 256),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ParameterError(
                    f"--{name.replace('_', '-')} must be {lo} to {hi}, got {value!r}"
                )
        if not isinstance(self.max_upload, int) or not 1024 <= self.max_upload <= 2**31:
            raise ParameterError(
                f"--max-upload must be 1 KiB to 2 GiB (in bytes), got {self.max_upload!r}"
            )
        if not (isinstance(self.timeout, int | float) and math.isfinite(self.timeout)):
            raise ParameterError(f"--timeout must be a number of seconds, got {self.timeout!r}")
        if not 1 <= self.timeout <= 3600:
            raise ParameterError(f"--timeout must be 1 to 3600 s, got {self.timeout:g}")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise ParameterError(
                f"--log-level must be debug, info, warning or error, got {self.log_level!r}"
            )
        for origin in self.cors_origins:
            if not re.match(r"^https?://[^/\s]+$", origin):
                raise ParameterError(
                    f"--cors-origin must be an origin like https://example.org, got {origin!r}"
                )

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.db.split(":", 1)[0].split("+", 1)[0]


def database_url(text: str) -> str:
    """The SQLAlchemy URL of ``--db``: a URL as it is (``postgresql://`` gets psycopg 3),
    a path as a SQLite file."""
    text = str(text).strip()
    if not text:
        raise ParameterError("--db must be a path or a database URL, got ''")
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    scheme = text.split("://", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if scheme == "sqlite" or scheme == "postgresql+psycopg":
        return text
    raise ParameterError(
        f"--db: unsupported database {scheme!r}; expected a SQLite path or URL (sqlite:///…) "
        "or postgresql+psycopg://user@host:port/name"
    )


def load_api_keys(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The keys of an API-key file: one a line; blank lines and ``#`` comments skipped.

    Raises
    ------
    ParameterError
        The file cannot be read, holds no key, or a key shorter than 16
        characters or with characters other than printable ASCII.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"--api-key-file {path}: cannot be read ({exc})") from None
    keys = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        key = line.strip()
        if not key or key.startswith("#"):
            continue
        if len(key) < MIN_KEY_LENGTH or not _KEY.match(key):
            raise ParameterError(
                f"--api-key-file {path}, line {lineno}: a key must be at least "
                f"{MIN_KEY_LENGTH} printable ASCII characters without spaces"
            )
        keys.append(key)
    if not keys:
        raise ParameterError(f"--api-key-file {path}: no key in the file (one key a line)")
    return tuple(keys)


_CURRENT: list[Settings] = []


def configure(settings: Settings) -> None:
    """Set the settings the app factory (:func:`rotordx.service.app.app_from_settings`) uses."""
    _CURRENT[:] = [settings]


def current() -> Settings:
    """The settings given to :func:`configure` (default settings when none were)."""
    return _CURRENT[0] if _CURRENT else Settings()

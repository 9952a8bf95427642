"""Write outputs atomically: to a temporary sibling first, then rename into place.

An interrupted run therefore leaves either the previous complete output or
nothing, never a half-written file or folder. Temporaries are named
``.<name>.<pid>.<random>.tmp``; a process killed outright (SIGKILL) cannot
remove its own, so the next atomic write of the same output removes those
whose process no longer exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rotordx.exceptions import ParameterError

__all__ = ["atomic_dir", "atomic_file", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove temporaries of ``path`` left by processes that no longer exist."""
    head = f".{path.name}."
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return
    for p in siblings:
        name = p.name
        if name.startswith(f"{head}old-"):  # a replaced folder, moved aside by atomic_dir
            pid_text = name[len(head) + 4 :]
            if pid_text.isdigit() and not _alive(int(pid_text)):
                if not path.exists():  # killed between the two renames: restore the old output
                    os.replace(p, path)
                else:
                    shutil.rmtree(p, ignore_errors=True)
            continue
        if not (name.startswith(head) and name.endswith(".tmp")):
            continue
        pid_text = name[len(head) :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _ordinary_mode(path: Path, *, directory: bool) -> None:
    """Give a temporary the mode plain ``open``/``mkdir`` would (mkstemp makes it private)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file is removed if the body raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _ordinary_mode(tmp_path, directory=False)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; move it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final folder.
    force : bool
        Replace an existing non-empty ``path``. Without it an existing
        non-empty folder is an error and is left untouched.

    Raises
    ------
    ParameterError
        If ``path`` exists, is not empty and ``force`` is false, or is a file.
    """
    path = Path(path)
    if path.parent.is_dir():
        _remove_stale(path)  # first: it may restore a previous output moved aside
    if path.exists() and not path.is_dir():
        raise ParameterError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise ParameterError(
            f"{path} already exists and is not empty; choose another folder or pass --force "
            "to replace it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _ordinary_mode(tmp, directory=True)
    old = None
    if path.exists():
        old = path.parent / f".{path.name}.old-{os.getpid()}"
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

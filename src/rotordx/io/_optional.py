"""Optional reader packages (the ``readers`` extra: npTDMS, pyuff)."""

from __future__ import annotations

from rotordx.exceptions import ParameterError

__all__ = ["missing_reader"]


def missing_reader(exc: ModuleNotFoundError, what: str) -> ParameterError:
    """The error for a reader package that is not installed, naming the extra that brings it
    (as :func:`rotordx.models.registry.missing_extra` does for models)."""
    package = (exc.name or "").split(".")[0] or "a package"
    return ParameterError(
        f"{what} needs {package}, which is not installed: pip install 'rotordx[readers]' "
        "(or 'rotordx[all]')"
    )

"""Exception hierarchy of rotordx.

Every error a user can cause by passing bad data or bad parameters is a
:class:`RotordxError`; the command line turns it into a one-line message and
a non-zero exit status, never a traceback.
"""

from __future__ import annotations

__all__ = ["BundleError", "DataError", "ParameterError", "RotordxError"]


class RotordxError(Exception):
    """Base class of all errors raised deliberately by rotordx."""


class ParameterError(RotordxError, ValueError):
    """A function or command was called with an ill-formed parameter."""


class DataError(RotordxError, ValueError):
    """Input data (a file, a column, a recording) is malformed or insufficient.

    The message names the file, and where it helps the line or column, what
    was found and what was expected.
    """


class BundleError(RotordxError):
    """A saved model bundle is missing, incomplete, tampered with or incompatible."""

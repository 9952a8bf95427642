"""The ``rotordx`` command: a thin layer over the Python API.

Every command catches :class:`~rotordx.exceptions.RotordxError`, prints one
line ``error: …`` on stderr and exits with status 1. Commands are listed from
:data:`rotordx.cli._commands.COMMANDS` and imported only when they run, so
``rotordx --help`` imports no workflow (and no torch).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from rotordx.cli._commands import COMMANDS, EXTRAS

__all__ = ["app", "main"]


def _command(name: str) -> Any:
    """The click command ``name``, from its module's Typer app (a missing extra: one line)."""
    try:
        module = importlib.import_module(COMMANDS[name][0])
    except ModuleNotFoundError as exc:
        if name not in EXTRAS or (exc.name or "").startswith("rotordx"):
            raise
        extra = EXTRAS[name]
        typer.echo(
            f"error: rotordx {name} needs {(exc.name or '').split('.')[0]}, which is not "
            f"installed: pip install 'rotordx[{extra}]' (or 'rotordx[all]')",
            err=True,
        )
        raise SystemExit(1) from None
    group = typer.main.get_group(module.app)
    return group.commands[name]


class _LazyGroup(TyperGroup):
    """Lists the commands from the table; imports a command's module only to run it."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        # for the command list: the name and one-line help, without importing the module
        return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and args[0] in COMMANDS:
            return args[0], _command(args[0]), args[1:]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="rotordx",
    cls=_LazyGroup,
    help="Fault diagnosis of rotating machines from vibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Fault diagnosis of rotating machines from vibration."""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

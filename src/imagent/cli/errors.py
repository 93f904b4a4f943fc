"""How the CLI answers a problem: one line on stderr that names the option, setting or file,
the bad value and what to change; an exit code; a traceback only with `--debug`.

Exit codes: 2 when the command line, the configuration or an input must change (nothing
was saved), 1 when a run or a command failed, 128 + the signal's number when interrupted
(130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from imagent.cli.signals import Interrupted
from imagent.core.errors import (
    ConfigError,
    ImagentError,
    InputError,
    RunNotFoundError,
    UnknownBackendError,
)
from imagent.core.types import Request
from imagent.core.validation import field_bounds, reason, shown
from imagent.runs.atomic import storage_error
from imagent.runs.redact import redact_text

USAGE, FAILED = 2, 1
# Request fields → the options that set them.
OPTIONS = {
    "prompt": "PROMPT",
    "n": "--n",
    "size": "--size",
    "seed": "--seed",
    "max_rounds": "--max-rounds",
    "images": "--image",
    "mask": "--mask",
    "llm": "--llm",
    "renderer": "--renderer",
    "judges": "--judge",
    "user_id": "--user",
    "session_id": "--session",
    "profile": "--profile",
    "out": "--out",
}
err = Console(stderr=True, highlight=False)


def debug_wanted(args: list[str] | None = None) -> bool:
    """`--debug` on the command line, or IMAGENT_DEBUG set to something true."""
    if "--debug" in (args if args is not None else sys.argv[1:]):
        return True
    return os.environ.get("IMAGENT_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def option_for(loc: tuple[int | str, ...]) -> str:
    names = [str(p) for p in loc if isinstance(p, str)]
    for name in reversed(names):
        if name in OPTIONS:
            return OPTIONS[name]
    return ".".join(str(p) for p in loc) or "value"


def validation_line(exc: ValidationError, given: Mapping[str, object] | None = None) -> str:
    """The first problem of a request's validation, as `--max-rounds -1: must be ...`;
    `given` holds the values as typed (a size as "10x10", not its parsed width)."""
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    why = reason(error, field_bounds(Request, loc))
    names = [str(p) for p in loc if isinstance(p, str)]
    field = next((name for name in names if name in OPTIONS), None)
    value = error.get("input")
    if given and field is not None and field in given:
        value = given[field]
        inner = names[names.index(field) + 1 :]
        why = f"{' '.join(inner)} {why}" if inner else why
    more = len(exc.errors()) - 1
    tail = f" (and {more} more)" if more else ""
    return f"{option_for(loc)} {shown(value)}: {why}{tail}"


def click_line(exc: Any) -> str:
    """A usage error of the command line (click's), as one line."""
    param = getattr(exc, "param", None)
    command = exc.ctx.command_path if getattr(exc, "ctx", None) else "imagent"
    hint = f" (see {command} --help)"
    if param is not None and param.opts:
        name = max(param.opts, key=len)
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            error = cause.errors()[0]
            return f"{name} {shown(error.get('input'))}: {reason(error)}{hint}"
        return f"{name}: {exc.format_message()}{hint}"
    return f"{exc.format_message()}{hint}"


def describe(exc: BaseException) -> tuple[str, int]:
    """The line to print for `exc`, and the exit code."""
    if isinstance(exc, Interrupted):
        return exc.describe(), exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; nothing was saved", 130
    if isinstance(exc, ValidationError):
        return validation_line(exc), USAGE
    if isinstance(exc, InputError):
        return (f"{OPTIONS.get(exc.field, exc.field)}: {exc}" if exc.field else str(exc)), USAGE
    if isinstance(exc, ConfigError | UnknownBackendError | RunNotFoundError):
        return str(exc), USAGE
    if isinstance(exc, ImagentError):
        return str(exc), FAILED
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage errors
        return click_line(exc), int(exc.exit_code)
    if isinstance(exc, OSError) and exc.filename:
        return str(storage_error(Path(str(exc.filename)), exc, "use")), FAILED
    return (
        f"unexpected {type(exc).__name__}: {exc}. This is a bug: rerun with --debug and "
        "report the traceback",
        FAILED,
    )


def print_error(message: str) -> None:
    # Escaped: messages quote config sections ("[providers.openai]") and extras
    # ("imagent[local]"). Redacted: a provider's message may echo what it was sent.
    # soft_wrap: one line whatever the terminal's width, so it can be grepped.
    err.print(f"[red]error:[/red] {escape(redact_text(message))}", soft_wrap=True)


def report(exc: BaseException, *, debug: bool) -> int:
    """Print `exc` as one line (and its traceback with `debug`); the exit code."""
    message, code = describe(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print_error(message)
    return code


class ReportingGroup(TyperGroup):
    """Every problem, a usage error included, ends as one line and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(args) if args is not None else sys.argv[1:]
        try:
            value = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            code = report(_unwrap(exc), debug=debug_wanted(argv))
            if not standalone_mode:
                raise
            sys.exit(code)
        if standalone_mode:
            sys.exit(value if isinstance(value, int) else 0)
        return value


def _unwrap(exc: BaseException) -> BaseException:
    """click wraps Ctrl-C at a prompt in Abort; report the interruption itself."""
    cause = exc.__cause__ or exc.__context__
    if type(exc).__name__ == "Abort" and isinstance(cause, KeyboardInterrupt):
        return cause
    return exc

"""Command-line options that several commands share."""

from __future__ import annotations

from typing import Annotated

import typer

User = Annotated[str, typer.Option("--user", help="User id for memory")]
Session = Annotated[str | None, typer.Option("--session", help="Session id")]

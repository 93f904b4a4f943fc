"""The `imagent` command's entry point: starts loading the embedded model, then the CLI.

Loading the embedded model (reading 1.1 GB and repacking it for the CPU: ~3 s on 2 cores)
runs in llama.cpp's C code, which does not hold Python's lock. Started here, before the
command line imports the agent, it overlaps those imports and the run's setup instead of
following them. Only a command that plans with a `local/…` model warms it; any problem is
left to the command itself to report (the warm-up is silent and only saves time).
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imagent.settings import Settings

PLANNING_COMMANDS = {"plan", "generate"}


def main() -> None:
    args = sys.argv[1:]
    model = embedded_model(args)
    warm = None
    if model is not None:
        warm = threading.Thread(target=_warm, args=(model, args), name="imagent-warm", daemon=True)
        warm.start()
    from imagent.cli import signals

    try:
        from imagent.cli.app import main as app_main

        app_main()
    except BaseException as exc:
        if warm is None or not warm.is_alive():
            raise
        # The command ended while llama.cpp is still loading (a prompt refused at once,
        # Ctrl-C during the imports): exit now with the command's code, not mid-load.
        if isinstance(exc, SystemExit):
            signals.exit_now(exc.code if isinstance(exc.code, int) else 1)
        if isinstance(exc, KeyboardInterrupt):
            signals.exit_now(130)
        raise


def embedded_model(args: list[str]) -> str | None:
    """The `local/…` LLM id this command line plans with, or None (also for `--help` and a
    command without its prompt: those end before any model is needed)."""
    words = _before_end_of_options(args)
    if "--help" in words:
        return None
    values = _values(words)
    positional = [w for w in words if not w.startswith("-") and w not in values]
    if len(positional) < 2 or positional[0] not in PLANNING_COMMANDS:
        return None
    llm = _option(args, "--llm")
    if llm is None:
        try:
            llm = _settings(args).llm
        except Exception:  # a bad config: the command says what is wrong
            return None
    return llm if llm == "local" or llm.startswith("local/") else None


def _before_end_of_options(args: list[str]) -> list[str]:
    return args[: args.index("--")] if "--" in args else args


def _option(args: list[str], name: str) -> str | None:
    """The value of option `name`; given twice, the last one wins (as the command reads it)."""
    words = _before_end_of_options(args)
    found = None
    for at, arg in enumerate(words):
        if arg == name and at + 1 < len(words):
            found = words[at + 1]
        elif arg.startswith(name + "="):
            found = arg.split("=", 1)[1]
    return found


# Options of `plan` and `generate` (and the global --profile) that take a value; a flag
# missing here only makes the launcher skip its warm-up, never changes the command.
VALUED = {"--profile", "--llm", "--renderer", "-r", "--search", "--size", "-s", "--seed"}
VALUED |= {"--user", "--session", "--judge", "-j", "--image", "-i", "--mask", "--max-rounds"}
VALUED |= {"--n", "-n", "--out", "-o"}


def _values(args: list[str]) -> set[str]:
    """Arguments that are the values of options (`--profile local plan …`, `--llm none`)."""
    return {args[at + 1] for at, arg in enumerate(args[:-1]) if arg in VALUED}


def _settings(args: list[str]) -> Settings:
    """Settings as the command builds them: environment, config file, --profile."""
    from imagent.settings import Settings

    profile = _option(args, "--profile")
    return Settings(profile=profile) if profile else Settings()


def _warm(llm_id: str, args: list[str]) -> None:
    try:
        import asyncio

        from imagent.backends.llm.local import LocalLLM

        asyncio.run(LocalLLM(llm_id.partition("/")[2], _settings(args)).load())
    except BaseException:  # the command reports any problem itself
        return

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

PLANNING_COMMANDS = {"plan", "generate"}


def main() -> None:
    model = embedded_model(sys.argv[1:])
    warm = None
    if model is not None:
        warm = threading.Thread(target=_warm, args=(model,), name="imagent-warm", daemon=True)
        warm.start()
    from imagent.cli import signals
    from imagent.cli.app import main as app_main

    try:
        app_main()
    except SystemExit as exc:
        if warm is not None and warm.is_alive():  # e.g. a bad prompt, refused at once
            signals.exit_now(exc.code if isinstance(exc.code, int) else 1)  # not mid-load
        raise


def embedded_model(args: list[str]) -> str | None:
    """The `local/…` LLM id this command line plans with, or None."""
    command = next((a for a in args if not a.startswith("-") and a not in _values(args)), "")
    if command not in PLANNING_COMMANDS:
        return None
    llm = _option(args, "--llm")
    if llm is None:
        try:
            from imagent.settings import Settings

            profile = _option(args, "--profile")
            llm = (Settings(profile=profile) if profile else Settings()).llm
        except Exception:  # a bad config: the command says what is wrong
            return None
    return llm if llm == "local" or llm.startswith("local/") else None


def _option(args: list[str], name: str) -> str | None:
    for at, arg in enumerate(args):
        if arg == name and at + 1 < len(args):
            return args[at + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _values(args: list[str]) -> set[str]:
    """Arguments that are the values of global options (`--profile local plan …`)."""
    return {args[at + 1] for at, arg in enumerate(args[:-1]) if arg == "--profile"}


def _warm(llm_id: str) -> None:
    try:
        import asyncio

        from imagent.backends.llm.local import LocalLLM
        from imagent.settings import Settings

        asyncio.run(LocalLLM(llm_id.partition("/")[2], Settings()).load())
    except BaseException:  # the command reports any problem itself
        return

"""The bad-input corpus: every kind of bad input a user can give the CLI, in one table.

Each case asserts the exit code, exactly one `error:` line that names the option (or
setting, variable, file and line), the bad value and what to change, no traceback (unless
`--debug`), and that nothing is half-written: no run is saved for input that must change,
and no temporary or partial file is left anywhere under the data folder.

A full disk is simulated with file syncs that raise OSError(ENOSPC); a read-only folder and
one without permission with a monkeypatched mkdir (tests may run as root, whom chmod does
not stop); a data folder under a regular file and under /proc are real. Later issues add
their own inputs to CASES.
"""

from __future__ import annotations

import errno
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from imagent.cli.app import app
from imagent.runs import atomic

runner = CliRunner()
FAKES = ["--llm", "none", "--renderer", "fake", "--judge", "instruction"]
GEN = ["generate", "a red bicycle", *FAKES]
CLI = [sys.executable, "-c", "from imagent.cli.app import main; main()"]


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` and holds (almost) nothing: a bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png(size: tuple[int, int] = (64, 64), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=fmt)
    return buffer.getvalue()


def gif_animated() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "green", "blue")]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    return buffer.getvalue()


Setup = Callable[[Path], None]


def files(**contents: bytes | str) -> Setup:
    """Write `{name: content}` under the test's folder ('/' in names makes folders)."""

    def make(tmp: Path) -> None:
        for name, content in contents.items():
            path = tmp / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    return make


def config(text: str | bytes) -> Setup:
    return files(**{"home__config.toml": text})


def folder(name: str) -> Setup:
    return lambda tmp: (tmp / name).mkdir(parents=True)


def runs(*ids: str) -> Setup:
    def make(tmp: Path) -> None:
        for run_id in ids:
            path = tmp / "home" / "runs" / "2026-11-25" / run_id / "run.json"
            path.parent.mkdir(parents=True)
            path.write_text("{not json" if run_id.endswith("bad") else json.dumps({}))

    return make


def fail_writes(code: int) -> Callable[[pytest.MonkeyPatch], None]:
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        def fsync(fd: int) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(atomic.os, "fsync", fsync)

    return patch


def refuse_folders(code: int) -> Callable[[pytest.MonkeyPatch], None]:
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        real = Path.mkdir

        def mkdir(self: Path, *args: object, **kw: object) -> None:
            if "runs" in self.parts:
                raise OSError(code, os.strerror(code), str(self))
            real(self, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "mkdir", mkdir)

    return patch


@dataclass
class Case:
    id: str
    args: list[str]
    code: int
    expect: tuple[str, ...] = ()  # each must be in the one error line
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None
    patch: Callable[[pytest.MonkeyPatch], None] | None = None
    saves_run: bool = False  # a run folder may exist (it failed at run time, not up front)
    needs: str | None = None  # skip unless this module is importable
    lacks: str | None = None  # skip if this module is importable


# fmt: off
CASES = [
    # prompts
    Case("prompt-empty", ["generate", "", *FAKES], 2, ("PROMPT", "is empty", "describe the image")),
    Case("prompt-whitespace", ["generate", " \t\n ", *FAKES], 2, ("PROMPT", "is empty")),
    Case("prompt-huge", ["generate", "x" * 9000, *FAKES], 2, ("PROMPT", "9000 characters", "limit is 8000")),
    Case("prompt-control-chars", ["generate", "a\x1b[2Jcat", *FAKES], 2, ("PROMPT", "U+001B", "remove it")),
    Case("prompt-nul", ["generate", "a cat\x00", *FAKES], 2, ("PROMPT", "U+0000")),
    Case("prompt-invalid-utf8", ["generate", "a \udcff cat", *FAKES], 2, ("PROMPT", "not valid UTF-8", "encoding")),
    Case("prompt-mixed-scripts", ["generate", "海报 Привет مرحبا café ✓", *FAKES], 0, saves_run=True),
    # sizes
    Case("size-not-wxh", [*GEN, "--size", "huge"], 2, ("--size", "'huge'", "WIDTHxHEIGHT")),
    Case("size-too-small", [*GEN, "--size", "10x10"], 2, ("--size", "'10x10'", "between 64 and 4096")),
    Case("size-too-large", [*GEN, "--size", "8192x8192"], 2, ("--size", "'8192x8192'", "between 64 and 4096")),
    Case("size-zero", [*GEN, "--size", "0x0"], 2, ("--size", "'0x0'", "between 64 and 4096")),
    Case("size-negative", [*GEN, "--size", "-5x5"], 2, ("--size", "'-5x5'", "WIDTHxHEIGHT")),
    Case("size-fraction", [*GEN, "--size", "1024.5x768"], 2, ("--size", "'1024.5x768'", "WIDTHxHEIGHT")),
    # counts
    Case("n-zero", [*GEN, "-n", "0"], 2, ("--n", "0", "between 1 and 8")),
    Case("n-too-many", [*GEN, "-n", "100"], 2, ("--n", "100", "between 1 and 8")),
    Case("n-not-a-number", [*GEN, "-n", "two"], 2, ("--n", "'two'", "whole number")),
    # seeds
    Case("seed-negative", [*GEN, "--seed", "-1"], 2, ("--seed", "-1", "between 0 and 2147483647")),
    Case("seed-too-big", [*GEN, "--seed", str(2**31)], 2, ("--seed", "2147483648", "between 0 and")),
    Case("seed-not-a-number", [*GEN, "--seed", "abc"], 2, ("--seed", "'abc'", "whole number")),
    # repair rounds
    Case("rounds-negative", [*GEN, "--max-rounds", "-1"], 2, ("--max-rounds", "-1", "between 0 and 10")),
    Case("rounds-too-many", [*GEN, "--max-rounds", "100"], 2, ("--max-rounds", "100", "between 0 and 10")),
    Case("rounds-not-a-number", [*GEN, "--max-rounds", "x"], 2, ("--max-rounds", "'x'", "whole number")),
    # backend ids of every kind
    Case("renderer-typo", ["generate", "a cat", "--llm", "none", "--renderer", "fkae"], 2, ("renderer", "'fkae'", "Did you mean 'fake'")),
    Case("renderer-empty", ["generate", "a cat", "--llm", "none", "--renderer", " "], 2, ("--renderer", "empty", "layout/poster")),
    Case("renderer-none", ["generate", "a cat", "--llm", "none", "--renderer", "none"], 2, ("renderer", "'none'", "Known renderer providers")),
    Case("llm-unknown-provider", [*GEN, "--llm", "gtp/x"], 2, ("llm", "'gtp/x'", "Known llm providers")),
    Case("llm-empty", ["generate", "a cat", "--renderer", "fake", "--llm", ""], 2, ("--llm", "empty")),
    Case("llm-unknown-local-model", ["generate", "a cat", "--renderer", "fake", "--llm", "local/qwen-7b"], 2, ("'qwen-7b'", "Known local models"), needs="llama_cpp"),
    Case("judge-unknown", [*GEN, "--judge", "ocrr"], 2, ("judge", "'ocrr'", "Did you mean 'ocr'")),
    Case("search-unknown", [*GEN, "--search", "googel"], 2, ("search", "'googel'", "Known search providers")),
    Case("memory-unknown", GEN, 2, ("memory", "'sqlte'", "Did you mean 'sqlite'"), env={"IMAGENT_MEMORY": "sqlte"}),
    Case("renderer-missing-extra", [*GEN, "--renderer", "diffusers/x"], 1, ("diffusers/x", "pip install 'imagent[diffusers]'"), lacks="diffusers"),
    # images
    Case("image-missing", [*GEN, "--image", "{tmp}/nope.png"], 2, ("--image", "nope.png", "does not exist")),
    Case("image-corrupt", [*GEN, "--image", "{tmp}/bad.png"], 2, ("--image", "bad.png", "not a readable image"), setup=files(**{"bad.png": b"\x89PNG\r\n\x1a\n" + os.urandom(200)})),
    Case("image-truncated", [*GEN, "--image", "{tmp}/cut.png"], 2, ("--image", "cut.png", "corrupt or truncated"), setup=files(**{"cut.png": png((256, 256))[:-60]})),
    Case("image-folder", [*GEN, "--image", "{tmp}/pictures"], 2, ("--image", "pictures", "is a folder"), setup=folder("pictures")),
    Case("image-text-file", [*GEN, "--image", "{tmp}/notes.txt"], 2, ("--image", "notes.txt", "not a readable image", "accepted formats"), setup=files(**{"notes.txt": "shopping list"})),
    Case("image-decompression-bomb", [*GEN, "--image", "{tmp}/bomb.png"], 2, ("--image", "bomb.png", "too many pixels"), setup=files(**{"bomb.png": png_header(30000, 30000)})),
    Case("image-huge-dimensions", [*GEN, "--image", "{tmp}/wide.png"], 2, ("--image", "9000x8000", "over the limit"), setup=files(**{"wide.png": png_header(9000, 8000)})),
    Case("image-unsupported-format", [*GEN, "--image", "{tmp}/icon.ico"], 2, ("--image", "icon.ico", "accepted formats"), setup=files(**{"icon.ico": png((16, 16), "ICO")})),
    Case("image-animated", [*GEN, "--image", "{tmp}/moving.gif"], 0, setup=files(**{"moving.gif": gif_animated()}), saves_run=True),
    Case("image-unsupported-scheme", [*GEN, "--image", "ftp://example.com/a.png"], 2, ("--image", "ftp://", "not supported")),
    Case("image-bad-data-url", [*GEN, "--image", "data:image/png;base64,!!!"], 2, ("--image", "data URL", "bad base64")),
    Case("image-private-url", [*GEN, "--image", "http://127.0.0.1:9/x.png"], 2, ("--image", "127.0.0.1", "image_allow_networks")),
    Case("mask-without-image", [*GEN, "--mask", "{tmp}/m.png"], 2, ("--mask", "no --image was given"), setup=files(**{"m.png": png()})),
    Case("mask-missing", [*GEN, "--image", "{tmp}/a.png", "--mask", "{tmp}/gone.png"], 2, ("--mask", "gone.png", "does not exist"), setup=files(**{"a.png": png()})),
    # config
    Case("config-corrupt", GEN, 2, ("config.toml line 2", "fix the TOML syntax"), setup=config('renderer = "fake"\nmax_rounds = = 1\n')),
    Case("config-unknown-key", GEN, 2, ("config.toml line 1", "unknown key 'rendrer'", "did you mean 'renderer'"), setup=config('rendrer = "fake"\n')),
    Case("config-wrong-type", GEN, 2, ("config.toml line 2", "max_rounds = 'abc'", "whole number"), setup=config('# mine\nmax_rounds = "abc"\n')),
    Case("config-out-of-range", GEN, 2, ("config.toml line 1", "max_rounds = 99", "between 0 and 10"), setup=config("max_rounds = 99\n")),
    Case("config-unknown-section", GEN, 2, ("config.toml line 1", "'provider'", "did you mean 'providers'"), setup=config('[provider.openai]\nbase_url = "x"\n')),
    Case("config-unknown-provider-key", GEN, 2, ("config.toml line 3", "base_urll", "did you mean 'base_url'"), setup=config('[providers.openai]\ntimeout_s = 5\nbase_urll = "x"\n')),
    Case("config-unknown-profile", GEN, 2, ("'qwne'", "Did you mean 'qwen'"), setup=config('profile = "qwne"\n')),
    Case("config-not-utf8", GEN, 2, ("config.toml", "not UTF-8"), setup=config(b'renderer = "\xff\xfe"\n')),
    Case("config-missing-file", GEN, 2, ("IMAGENT_CONFIG", "nope.toml", "does not exist"), env={"IMAGENT_CONFIG": "{tmp}/nope.toml"}),
    Case("config-is-a-folder", GEN, 2, ("confdir", "is not a file"), env={"IMAGENT_CONFIG": "{tmp}/confdir"}, setup=folder("confdir")),
    # the data folder
    Case("home-under-a-file", GEN, 1, ("a-file", "IMAGENT_HOME"), env={"IMAGENT_HOME": "{tmp}/a-file/imagent"}, setup=files(**{"a-file": "x"})),
    Case("home-under-proc", GEN, 1, ("/proc/imagent-test", "IMAGENT_HOME"), env={"IMAGENT_HOME": "/proc/imagent-test"}),
    Case("home-read-only", GEN, 1, ("runs", "read-only", "IMAGENT_HOME"), patch=refuse_folders(errno.EROFS)),
    Case("home-no-permission", GEN, 1, ("runs", "no permission", "IMAGENT_HOME"), patch=refuse_folders(errno.EACCES)),
    Case("disk-full", GEN, 1, ("run.json", "disk is full", "free some space"), patch=fail_writes(errno.ENOSPC)),
    # environment variables
    Case("env-not-a-number", GEN, 2, ("IMAGENT_MAX_ROUNDS='abc'", "whole number"), env={"IMAGENT_MAX_ROUNDS": "abc"}),
    Case("env-out-of-range", GEN, 2, ("IMAGENT_RETRIES='0'", "between 1 and 20"), env={"IMAGENT_RETRIES": "0"}),
    Case("env-unknown-variable", GEN, 2, ("IMAGENT_RENDRER", "did you mean 'IMAGENT_RENDERER'"), env={"IMAGENT_RENDRER": "fake"}),
    Case("env-bad-boolean", GEN, 2, ("IMAGENT_PRIVATE_OUTPUTS='maybe'", "true or false"), env={"IMAGENT_PRIVATE_OUTPUTS": "maybe"}),
    Case("env-bad-json", GEN, 2, ("IMAGENT_PROVIDERS", "not valid JSON"), env={"IMAGENT_PROVIDERS": "{bad"}),
    Case("env-unknown-profile", GEN, 2, ("IMAGENT_PROFILE='qwne'", "Did you mean 'qwen'"), env={"IMAGENT_PROFILE": "qwne"}),
    Case("env-bad-network", [*GEN, "--image", "{tmp}/a.png"], 2, ("IMAGENT_IMAGE_ALLOW_NETWORKS", "'nope'", "CIDR"), env={"IMAGENT_IMAGE_ALLOW_NETWORKS": "nope"}, setup=files(**{"a.png": png()})),
    Case("env-unknown-renderer", ["generate", "a cat", "--llm", "none"], 2, ("'layuot/poster'", "Did you mean 'layout'"), env={"IMAGENT_RENDERER": "layuot/poster"}),
    # run ids
    Case("run-id-unknown", ["runs", "show", "20261125-999999"], 2, ("'20261125-999999'", "imagent runs list")),
    Case("run-id-ambiguous", ["runs", "show", "20261125-0430"], 2, ("'20261125-0430'", "is ambiguous", "give more of the id"), setup=runs("20261125-043012-aaaaaa", "20261125-043013-bbbbbb")),
    Case("run-id-a-path", ["runs", "show", "../../etc/passwd"], 2, ("'../../etc/passwd'", "is not a run id")),
    Case("run-id-a-pattern", ["runs", "resume", "*"], 2, ("'*'", "is not a run id")),
    Case("run-id-corrupt-file", ["runs", "show", "20261125-043012-bad"], 1, ("run.json", "not valid JSON"), setup=runs("20261125-043012-bad")),
    # other options
    Case("out-is-a-folder", [*GEN, "--out", "{tmp}/outdir"], 2, ("--out", "outdir", "is a folder"), setup=folder("outdir")),
    Case("out-under-a-file", [*GEN, "--out", "{tmp}/a-file/x.png"], 2, ("--out", "a-file", "not a folder"), setup=files(**{"a-file": "x"})),
    Case("unknown-option", [*GEN, "--sede", "1"], 2, ("--sede", "--help")),
    Case("unknown-global-profile", ["--profile", "qwne", "runs", "list"], 2, ("--profile", "'qwne'", "Did you mean 'qwen'")),
]
# fmt: on


def _fill(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp))


CORPUS_RUNS = ("aaaaaa", "bbbbbb", "bad")  # run folders a case's setup made itself


def _half_written(home: Path, saves_run: bool) -> list[str]:
    """Anything left that should not be: temporary files, partial or unwanted runs."""
    if not home.is_dir():
        return []
    problems = [f"temporary {p}" for p in home.rglob("*.tmp")]
    for run in home.glob("runs/*/*"):
        if run.name.endswith(CORPUS_RUNS):
            continue
        if not saves_run:
            problems.append(f"a run was saved for bad input: {run}")
        elif (run / "run.json").exists():
            json.loads((run / "run.json").read_text())  # whole, or this raises
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_line(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.needs and find_spec(case.needs) is None:
        pytest.skip(f"needs {case.needs}")
    if case.lacks and find_spec(case.lacks) is not None:
        pytest.skip(f"{case.lacks} is installed")
    home = tmp_path / "home"
    monkeypatch.setenv("IMAGENT_HOME", str(home))
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    for name, value in case.env.items():
        monkeypatch.setenv(name, _fill(value, tmp_path))
    if case.setup:
        case.setup(tmp_path)
    if case.patch:
        case.patch(monkeypatch)
    result = runner.invoke(app, [_fill(a, tmp_path) for a in case.args])
    monkeypatch.undo()
    assert result.exit_code == case.code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if case.code == 0:
        assert errors == [], result.stderr
    else:
        assert len(errors) == 1, result.stderr  # one line, however wide the message
        for part in case.expect:
            assert part in errors[0], (part, errors[0])
    assert _half_written(home, case.saves_run) == []


def test_the_corpus_covers_at_least_forty_distinct_kinds_in_every_category() -> None:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids) >= 40
    categories = {i.split("-")[0] for i in ids}
    wanted = {"prompt", "size", "n", "seed", "rounds", "renderer", "llm", "judge", "search"}
    wanted |= {"memory", "image", "mask", "config", "home", "disk", "env", "run"}
    assert wanted <= categories


def test_debug_shows_the_traceback_by_flag_or_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    flagged = runner.invoke(app, ["--debug", *GEN, "--image", "/nonexistent/a.png"])
    assert flagged.exit_code == 2 and "Traceback" in flagged.stderr
    assert flagged.stderr.rstrip().splitlines()[-1].startswith("error: --image")
    monkeypatch.setenv("IMAGENT_DEBUG", "1")
    by_env = runner.invoke(app, [*GEN, "--max-rounds", "-1"])
    assert by_env.exit_code == 2 and "Traceback" in by_env.stderr


def test_an_unexpected_exception_is_one_line_that_asks_for_a_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")

    def broken(*args: object, **kw: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("imagent.cli.app.show_result", broken)
    result = runner.invoke(app, GEN)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: unexpected ZeroDivisionError: division by zero" in result.stderr
    assert "--debug" in result.stderr


def test_bytes_that_are_not_utf8_on_a_real_command_line(_isolated_home: Path) -> None:
    """The shell hands Python raw bytes; it decodes them with surrogateescape."""
    done = subprocess.run(
        [*CLI, "generate", b"a \xff\xfe cat", *FAKES],
        env={**os.environ, "IMAGENT_MEMORY": "none"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "Traceback" not in stderr
    assert "not valid UTF-8" in stderr and not (_isolated_home / "runs").exists()

"""Runs on disk: `<home>/runs/<YYYY-MM-DD>/<run_id>/` with run.json, trace.jsonl and PNGs."""

from __future__ import annotations

import difflib
import json
import re
import secrets
from datetime import datetime
from pathlib import Path

from imagent.core.errors import RunFileError, RunNotFoundError
from imagent.core.types import Result
from imagent.runs.atomic import make_folder, write_atomic
from imagent.runs.redact import redact_text
from imagent.runs.versions import parse_result

_RUN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")


def new_run_id(now: datetime) -> str:
    """Sortable and unique: `20261125-043012-a1b2c3`."""
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    """A run id or a prefix of one: letters, digits, '-' and '_' (never a path or a pattern)."""
    if not _RUN_ID.fullmatch(run_id.strip()):
        raise RunNotFoundError(
            f"{run_id!r} is not a run id: give an id such as 20261125-043012-a1b2c3, or a "
            "unique prefix of one (see imagent runs list)"
        )
    return run_id.strip()


class RunStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run_dir(self, result: Result) -> Path:
        return self.root / f"{result.created_at:%Y-%m-%d}" / result.run_id

    def create(self, result: Result) -> Path:
        """The run's folder, made now; StorageError says why it cannot be (and names the fix)."""
        folder = Path(result.run_dir) if result.run_dir else self.run_dir(result)
        return make_folder(folder)

    def has_run(self, result: Result) -> bool:
        """Whether `result` has been saved at least once."""
        folder = Path(result.run_dir) if result.run_dir else self.run_dir(result)
        return (folder / "run.json").is_file()

    def save(self, result: Result) -> Path:
        """Write run.json atomically; called after every step, so a crash loses nothing done.

        A write that fails (disk full, no permission) raises StorageError and leaves the
        previous run.json as it was.
        """
        folder = Path(result.run_dir) if result.run_dir else self.run_dir(result)
        text = redact_text(result.model_dump_json(indent=2))
        return write_atomic(folder / "run.json", text.encode("utf-8"))

    def find(self, run_id: str) -> Path:
        """The folder of a run, by full id or a unique prefix."""
        run_id = check_run_id(run_id)
        matches = sorted(p.parent for p in self.root.glob(f"*/{run_id}*/run.json"))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise RunNotFoundError(f"no run {run_id!r} under {self.root}{self._closest(run_id)}")
        names = ", ".join(m.name for m in matches[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise RunNotFoundError(
            f"run id {run_id!r} is ambiguous: {names}{more}; give more of the id"
        )

    def _closest(self, run_id: str) -> str:
        known = [p.parent.name for p in self.root.glob("*/*/run.json")]
        close = difflib.get_close_matches(run_id, known, n=2, cutoff=0.6)
        if close:
            return f". Did you mean {' or '.join(repr(c) for c in close)}?"
        return " (see imagent runs list)"

    def load(self, run_id: str) -> Result:
        """A saved run, migrated from older run files; paths follow the folder if it moved."""
        return read_run(self.find(run_id))

    def list(self, limit: int = 20) -> list[Result]:
        """The newest runs first; unreadable run files are skipped (`runs show` says why)."""
        paths = sorted(self.root.glob("*/*/run.json"), key=lambda p: p.parent.name, reverse=True)
        results = []
        for path in paths[:limit]:
            try:
                results.append(read_run(path.parent))
            except RunFileError:
                continue
        return results


def read_run(folder: Path) -> Result:
    """The Result saved in `folder`/run.json, with its file paths rebased onto `folder`."""
    path = folder / "run.json"
    text = path.read_text("utf-8")
    try:
        saved = json.loads(text).get("run_dir")
    except (ValueError, AttributeError):
        saved = None  # parse_result says what is wrong with the file
    if isinstance(saved, str) and saved and saved != str(folder):
        text = text.replace(json.dumps(saved)[1:-1], json.dumps(str(folder))[1:-1])
    return parse_result(text, str(path))

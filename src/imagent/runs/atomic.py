"""Files under the data folder are replaced whole or not at all.

Each write goes to a temporary file beside the target, is flushed to disk, and is renamed
over the target in one step. A write that fails half-way (disk full, no permission) removes
its temporary file and leaves the target as it was; the error names the path and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from imagent.core.errors import StorageError

_UMASK = os.umask(0)
os.umask(_UMASK)

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is used up: free some space",
    errno.EROFS: "the file system is read-only: set IMAGENT_HOME to a writable folder",
    errno.EACCES: "no permission to write there: set IMAGENT_HOME to a folder you own",
    errno.EPERM: "no permission to write there: set IMAGENT_HOME to a folder you own",
    errno.ENOTDIR: "a part of the path is a file, not a folder: set IMAGENT_HOME to a folder",
    errno.EEXIST: "a file stands where a folder should be: set IMAGENT_HOME to a folder",
    errno.ENOENT: "a folder on the way does not exist and cannot be made: check IMAGENT_HOME",
}


def storage_error(path: Path, exc: OSError, doing: str = "write") -> StorageError:
    """A one-line StorageError for an OSError met while writing `path`."""
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0, "check the folder and IMAGENT_HOME")
    return StorageError(f"cannot {doing} {path}: {reason} ({hint})")


def make_folder(path: Path) -> Path:
    """`path` and its parents, as folders; StorageError says why they cannot be made."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(path, exc, "create the folder") from exc
    return path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes `path` when the block ends without an error."""
    make_folder(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise storage_error(path, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())  # on disk before the rename makes it the file
        tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes files private; follow the umask
        tmp.replace(path)
    except OSError as exc:
        raise storage_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes | Callable[[BinaryIO], None]) -> Path:
    """Replace `path` with `data` (bytes, or a function writing to the open file)."""
    with replacing(path) as handle:
        if callable(data):
            data(handle)
        else:
            handle.write(data)
    return path

"""Checks on what the user hands in, so bad input fails early with a clear message."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from imagent.core.errors import BadImageError

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_IMAGE_PIXELS = 64 * 1024 * 1024


def check_image(path: str) -> tuple[int, int]:
    """The size of a readable image file; BadImageError says what is wrong otherwise."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise BadImageError(f"image {path!r} does not exist")
    size = file.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise BadImageError(
            f"image {path!r} is {size / 1e6:.0f} MB; the limit is {MAX_IMAGE_BYTES // 10**6} MB"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise BadImageError(f"image {path!r} is {width}x{height}; too many pixels")
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise BadImageError(f"image {path!r} is not a readable image: {exc}") from exc
    return width, height

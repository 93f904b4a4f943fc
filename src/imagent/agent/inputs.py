"""Checks on what the user hands in, so bad input fails early with a clear message."""

from __future__ import annotations

from imagent.backends.images import ImagePolicy, LoadedImage, load_image
from imagent.settings import Settings


async def check_image(source: str, settings: Settings) -> LoadedImage:
    """A reference or edit image (a path, an http(s) URL or a data URL) read by the one
    image loader; BadImageError says what is wrong."""
    return await load_image(source, ImagePolicy.from_settings(settings))

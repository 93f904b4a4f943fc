"""Checks on what the user hands in, so bad input fails early with a clear message.

`check_inputs` runs before a run exists (the agent's pre-flight): a missing, corrupt or
oversized reference image or mask is an `InputError` and no failed run is saved for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagent.backends.images import ImagePolicy, LoadedImage, load_image
from imagent.core.errors import BadImageError, InputError
from imagent.core.types import Request
from imagent.settings import Settings


@dataclass(frozen=True)
class CheckedImage:
    """An input image that passed the checks: what it is for, and what it is."""

    role: str  # "reference image" or "mask"
    image: LoadedImage


async def check_image(source: str, settings: Settings) -> LoadedImage:
    """A reference or edit image (a path, an http(s) URL or a data URL) read by the one
    image loader; BadImageError says what is wrong."""
    return await load_image(source, ImagePolicy.from_settings(settings))


async def check_inputs(request: Request, settings: Settings) -> list[CheckedImage]:
    """Every reference image and the mask, checked; InputError names the first bad one."""
    if request.mask and not request.images:
        raise InputError(
            "a mask edits the first --image, and no --image was given: add the image to edit",
            field="mask",
            value=request.mask,
        )
    sources = [("images", "reference image", s) for s in request.images]
    if request.mask:
        sources.append(("mask", "mask", request.mask))
    checked = []
    for field, role, source in sources:
        try:
            image = await check_image(source, settings)
        except BadImageError as exc:
            raise InputError(str(exc), field=field, value=source) from exc
        checked.append(CheckedImage(role, image))
    return checked

"""Images as request payloads: downscaled, flattened, encoded as data URLs.

Hosted vision models bill and look at images by size, and a 4096 px render costs more
tokens without judging better; so images go out with their longer side at most 1024 px
(never upscaled), transparency flattened onto white, as JPEG data URLs.
"""

from __future__ import annotations

import base64
import io

from PIL import Image

MAX_SIDE = 1024
JPEG_QUALITY = 90  # text stays legible to a vision model; a tenth of the PNG's bytes


def downscale(image: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """`image` in RGB with its longer side at most `max_side` px."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        flat = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(flat, image.convert("RGBA"))
    image = image.convert("RGB")
    ratio = max_side / max(image.size)
    if ratio < 1:
        size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def data_url(image: Image.Image, max_side: int = MAX_SIDE) -> str:
    """A `data:image/jpeg;base64,…` URL of the downscaled image."""
    buffer = io.BytesIO()
    downscale(image, max_side).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

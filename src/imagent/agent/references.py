"""The image-search route: a reference image for what the request names.

Candidates come from the search backend's image search (addresses only), ranked by how well
their titles match the phrase, and are fetched with the one safe fetcher (type, size and
pixel limits, no private addresses). A model that can see picks the first candidate that
shows the phrase; otherwise the best-ranked image that loads is used. Renderers that take
references get the image; for the others the gap's value is a short description in words,
taken from the title only when it reads as a caption (it is untrusted text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from imagent.agent import extract
from imagent.agent.structured import complete_structured
from imagent.backends.image_fetch import ImageFetcher
from imagent.backends.images import ImagePolicy, LoadedImage
from imagent.backends.search.base import ImageHit
from imagent.core.errors import ImagentError
from imagent.core.types import Evidence, EvidenceSource, Gap, GapStatus

if TYPE_CHECKING:
    from imagent.agent.ground import GroundContext

MAX_TRIED = 3
MAX_DESCRIPTION_CHARS = 80


class Match(BaseModel):
    shows_it: bool


@dataclass(frozen=True)
class Fetched:
    hit: ImageHit
    image: LoadedImage


async def find_reference(gap: Gap, ctx: GroundContext) -> Gap:
    """The gap resolved to a fetched, checked reference image, or left unresolved."""
    search = ctx.search
    if search is None or not search.supports_images:
        name = search.id if search is not None else "no search backend"
        ctx.warnings.append(
            f"{gap.id}: {name} offers no image search; {gap.span!r} has no reference"
        )
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED})
    query = (gap.queries or [gap.span])[0]
    outcome = await search.lookup_images(query, k=6)
    ctx.warnings.extend(outcome.warnings)
    ranked = _ranked(gap, outcome.hits)
    fetched = await _fetch_some(ranked, ctx)
    chosen = await _choose(gap, fetched, ctx)
    if chosen is None:
        ctx.tracer.decision(
            "ground", f"{gap.id}: no image found for {gap.span!r}", gap_id=gap.id, by="evidence"
        )
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED, "queries": [query]})
    path = await _keep(chosen.image, gap, ctx)
    evidence = Evidence(
        source=EvidenceSource.IMAGE,
        title=extract.clean(chosen.hit.title)[:200],
        url=chosen.hit.url,
        snippet=_description(chosen.hit, gap),
    )
    return gap.model_copy(
        update={
            "status": GapStatus.RESOLVED,
            "resolution": _description(chosen.hit, gap),
            "evidence": [evidence],
            "reference": path,
            "queries": [query],
        }
    )


def _ranked(gap: Gap, hits: list[ImageHit]) -> list[ImageHit]:
    wanted = extract.terms(gap.span)
    scored = [
        (extract.overlap(wanted, f"{h.title} {h.description}"), n, h) for n, h in enumerate(hits)
    ]
    return [h for _, _, h in sorted(scored, key=lambda s: (-s[0], s[1]))]


async def _fetch_some(hits: list[ImageHit], ctx: GroundContext) -> list[Fetched]:
    fetched: list[Fetched] = []
    async with ImageFetcher(ImagePolicy.from_settings(ctx.settings)) as fetcher:
        for hit in hits[:MAX_TRIED]:
            try:
                fetched.append(Fetched(hit, await fetcher.fetch(hit.url)))
            except ImagentError as exc:
                ctx.tracer.decision("ground", f"skipped a candidate image: {exc}", by="evidence")
    return fetched


async def _choose(gap: Gap, fetched: list[Fetched], ctx: GroundContext) -> Fetched | None:
    """A model that sees picks the first image that shows the phrase; else the best-ranked."""
    llm = ctx.llm
    if llm is None or not llm.supports_images or not fetched:
        return fetched[0] if fetched else None
    for one in fetched:
        messages = [
            {
                "role": "system",
                "content": "Answer whether the image shows what is asked. JSON only.",
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"Does this image show {gap.span}?"},
                    {"type": "image_url", "image_url": {"url": one.image.within(768).data_url()}},
                ],
            },
        ]
        verdict = await complete_structured(llm, messages, Match, tracer=ctx.tracer, step="ground")  # type: ignore[arg-type]
        if verdict.shows_it:
            return one
    return None


def _description(hit: ImageHit, gap: Gap) -> str:
    """Words for a renderer that takes no images: the title when it reads as a caption."""
    title = extract.clean(hit.title).strip()
    if title and len(title) <= MAX_DESCRIPTION_CHARS and not extract.speaks_to_the_reader(title):
        return f"as in the reference image: {title}"
    return f"as in a reference image of {gap.span}"


async def _keep(image: LoadedImage, gap: Gap, ctx: GroundContext) -> str:
    """The image saved beside the run (or as a data URL when nothing is saved)."""
    if ctx.folder is None:
        return image.within(1024).data_url()
    path = Path(ctx.folder) / "references" / f"{gap.id}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    data, _ = image.encoded(("PNG",))
    path.write_bytes(data)
    return str(path)

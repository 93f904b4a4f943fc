"""A ComfyUI workflow (API format) and the slots imagent fills in it.

A slot is `"<node id>.<input name>"`. Each is found, in this order: the
`[providers.comfyui.options]` entry (`prompt = "6.text"`), a node titled `imagent:<slot>`
(the title ComfyUI keeps in `_meta.title`), or the graph itself: the sampler's `seed` (or
`noise_seed`), the text of the `CLIPTextEncode` nodes wired to its `positive` and `negative`
inputs, the `width`/`height` of the empty latent it starts from, and the `image` of every
`LoadImage` node (reference images, in node order).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagent.core.errors import ConfigError

Slot = tuple[str, str]  # (node id, input name)
SLOTS = ("prompt", "negative", "seed", "width", "height")
SAMPLERS = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
TEXT_ENCODERS = ("CLIPTextEncode", "CLIPTextEncodeSDXL", "CLIPTextEncodeFlux")
LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo")


@dataclass
class Workflow:
    """An API-format graph `{node_id: {"class_type", "inputs"}}` and where its slots are."""

    name: str
    graph: dict[str, Any]
    slots: dict[str, Slot] = field(default_factory=dict)
    image_slots: list[Slot] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, options: dict[str, Any]) -> Workflow:
        try:
            graph = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"ComfyUI workflow {str(path)!r} cannot be read: {exc}") from exc
        if not isinstance(graph, dict) or ("nodes" in graph and "links" in graph):
            raise ConfigError(
                f"ComfyUI workflow {path.name!r} is not in API format: in ComfyUI, use "
                "Workflow > Export (API) and point imagent at that file"
            )
        workflow = cls(path.name, graph)
        workflow.find_slots(options)
        return workflow

    def find_slots(self, options: dict[str, Any]) -> None:
        titled, titled_images = self._titled()
        found = self._from_graph()
        chosen = {
            name: self._parse(name, options[name]) if options.get(name) else titled[name]
            for name in SLOTS
            if options.get(name) or name in titled
        }
        guessed = {  # a guess never takes an input the user gave another slot
            name: slot
            for name, slot in found.items()
            if name not in chosen and slot not in chosen.values()
        }
        self.slots = {**guessed, **chosen}
        images = options.get("images") or options.get("image")
        if images:
            names = [images] if isinstance(images, str) else list(images)
            self.image_slots = [self._parse("images", value) for value in names]
        else:
            self.image_slots = titled_images or self._load_image_nodes()
        if "prompt" not in self.slots:
            raise ConfigError(
                f"ComfyUI workflow {self.name!r}: no prompt slot found. Title the prompt node "
                '"imagent:prompt" or set [providers.comfyui.options] prompt = "<node id>.text"'
            )

    def filled(self, values: dict[str, Any], images: list[str]) -> dict[str, Any]:
        """A copy of the graph with the slots set (slots the workflow lacks are skipped)."""
        graph = copy.deepcopy(self.graph)
        for name, value in values.items():
            if name in self.slots and value is not None:
                node, key = self.slots[name]
                graph[node]["inputs"][key] = value
        for (node, key), image in zip(self.image_slots, images, strict=False):
            graph[node]["inputs"][key] = image
        return graph

    # -- finding slots ------------------------------------------------------------------------

    def _parse(self, name: str, value: Any) -> Slot:
        node, _, key = str(value).partition(".")
        if not key or node not in self.graph or not isinstance(self.graph[node], dict):
            raise ConfigError(
                f"[providers.comfyui.options] {name} = {value!r}: give '<node id>.<input>' "
                f"of a node in {self.name} (its ids: {', '.join(sorted(self.graph)[:12])})"
            )
        return node, key

    def _titled(self) -> tuple[dict[str, Slot], list[Slot]]:
        found: dict[str, Slot] = {}
        images: list[Slot] = []
        for node_id, node in self._nodes():
            title = str((node.get("_meta") or {}).get("title", ""))
            if not title.lower().startswith("imagent:"):
                continue
            role = title.split(":", 1)[1].strip().lower()
            inputs = node.get("inputs") or {}
            if role in ("prompt", "negative"):
                found[role] = (node_id, _text_input(inputs))
            elif role == "seed":
                found["seed"] = (node_id, "noise_seed" if "noise_seed" in inputs else "seed")
            elif role == "size":
                found["width"], found["height"] = (node_id, "width"), (node_id, "height")
            elif role == "image":
                images.append((node_id, "image"))
        return found, images

    def _from_graph(self) -> dict[str, Slot]:
        found: dict[str, Slot] = {}
        sampler = next(((i, n) for i, n in self._nodes() if n.get("class_type") in SAMPLERS), None)
        if sampler is None:
            return found
        node_id, node = sampler
        inputs = node.get("inputs") or {}
        for key in ("seed", "noise_seed"):
            if isinstance(inputs.get(key), int):
                found["seed"] = (node_id, key)
        for role in ("prompt", "negative"):
            linked = self._linked(inputs.get("positive" if role == "prompt" else "negative"))
            if linked and self.graph[linked].get("class_type") in TEXT_ENCODERS:
                found[role] = (linked, _text_input(self.graph[linked].get("inputs") or {}))
        latent = self._linked(inputs.get("latent_image"))
        if latent and self.graph[latent].get("class_type") in LATENTS:
            found["width"], found["height"] = (latent, "width"), (latent, "height")
        return found

    def _load_image_nodes(self) -> list[Slot]:
        return [(i, "image") for i, n in self._nodes() if n.get("class_type") == "LoadImage"]

    def _linked(self, value: Any) -> str | None:
        """The node a `[node_id, output]` link points at."""
        if isinstance(value, list) and value and str(value[0]) in self.graph:
            return str(value[0])
        return None

    def _nodes(self) -> list[tuple[str, dict[str, Any]]]:
        def order(item: tuple[str, Any]) -> tuple[int, str]:
            return (int(item[0]) if item[0].isdigit() else 1 << 30, item[0])

        return [(i, n) for i, n in sorted(self.graph.items(), key=order) if isinstance(n, dict)]


def _text_input(inputs: dict[str, Any]) -> str:
    return "text" if "text" in inputs or "text_g" not in inputs else "text_g"

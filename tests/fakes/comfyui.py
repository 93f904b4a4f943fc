"""A fake ComfyUI server, as documented (shared API notes, section 3).

`POST /prompt` validates the API-format graph (known node classes, links to existing
nodes, LoadImage files that were uploaded) and answers `{"prompt_id", "number",
"node_errors"}` or 400 `prompt_outputs_failed_validation` with `node_errors`; a client
`prompt_id` is kept. `GET /history/{id}` reads `{}` until the job is done, then the entry
with `outputs` and `status` (`execution_error` in `messages` when it failed). `GET /view`
serves output files (400 on path traversal). `POST /upload/image` stores an input file.
Every route is also served under `/api`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.openai_images import parse_multipart
from tests.fakes.server import mean_colour, pause, png

NODE_CLASSES = {
    "CheckpointLoaderSimple",
    "CLIPTextEncode",
    "KSampler",
    "EmptyLatentImage",
    "VAEDecode",
    "VAEEncode",
    "SaveImage",
    "PreviewImage",
    "LoadImage",
}


@dataclass
class Job:
    graph: dict[str, Any]
    polls_left: int
    fail: bool


@dataclass
class FakeComfyUI:
    base: str = ""  # where the fake is served
    running_polls: int = 1  # history reads `{}` this many times first
    fail_next: bool = False
    prompt_delay_s: float = 0.0
    queued: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    inputs: dict[str, bytes] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)
    history_reads: int = 0

    def app(self) -> Starlette:
        routes = [
            ("/prompt", self.prompt, "POST"),
            ("/history/{prompt_id}", self.history, "GET"),
            ("/view", self.view, "GET"),
            ("/upload/image", self.upload, "POST"),
        ]
        return Starlette(
            routes=[
                Route(prefix + path, handler, methods=[method])
                for path, handler, method in routes
                for prefix in ("", "/api")
            ]
        )

    async def prompt(self, request: Request) -> Response:
        body = await request.json()
        graph = body.get("prompt")
        if not isinstance(graph, dict) or not graph:
            return JSONResponse(
                {
                    "error": {
                        "type": "no_prompt",
                        "message": "No prompt provided",
                        "details": "No prompt provided",
                        "extra_info": {},
                    },
                    "node_errors": {},
                },
                status_code=400,
            )
        self.queued.append(body)
        node_errors = self._validate(graph)
        if node_errors:
            return JSONResponse(
                {
                    "error": {
                        "type": "prompt_outputs_failed_validation",
                        "message": "Prompt outputs failed validation",
                        "details": "",
                        "extra_info": {},
                    },
                    "node_errors": node_errors,
                },
                status_code=400,
            )
        prompt_id = body.get("prompt_id") or str(uuid.uuid4())
        self.jobs[prompt_id] = Job(graph, self.running_polls, self.fail_next)
        self.fail_next = False
        await pause(self.prompt_delay_s)
        return JSONResponse({"prompt_id": prompt_id, "number": len(self.jobs), "node_errors": {}})

    async def history(self, request: Request) -> Response:
        self.history_reads += 1
        prompt_id = request.path_params["prompt_id"]
        job = self.jobs.get(prompt_id)
        if job is None or job.polls_left > 0:
            if job is not None:
                job.polls_left -= 1
            return JSONResponse({})
        messages: list[list[Any]] = [
            ["execution_start", {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}]
        ]
        if job.fail:
            messages.append(
                [
                    "execution_error",
                    {
                        "prompt_id": prompt_id,
                        "node_id": "3",
                        "node_type": "KSampler",
                        "executed": [],
                        "exception_message": "Allocation on device failed",
                        "exception_type": "torch.OutOfMemoryError",
                        "traceback": [],
                        "current_inputs": {},
                        "current_outputs": {},
                    },
                ]
            )
            entry = {
                "prompt": [1, prompt_id, job.graph, {}, []],
                "outputs": {},
                "status": {"status_str": "error", "completed": False, "messages": messages},
            }
            return JSONResponse({prompt_id: entry})
        outputs = {}
        for node_id, node in job.graph.items():
            if node["class_type"] in ("SaveImage", "PreviewImage"):
                kind = "output" if node["class_type"] == "SaveImage" else "temp"
                name = f"ComfyUI_{len(self.outputs) + 1:05d}_.png"
                self.outputs[f"{kind}/{name}"] = self._draw(job.graph)
                outputs[node_id] = {"images": [{"filename": name, "subfolder": "", "type": kind}]}
        messages.append(
            ["execution_success", {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}]
        )
        entry = {
            "prompt": [1, prompt_id, job.graph, {}, list(outputs)],
            "outputs": outputs,
            "status": {"status_str": "success", "completed": True, "messages": messages},
        }
        return JSONResponse({prompt_id: entry})

    async def view(self, request: Request) -> Response:
        name = request.query_params.get("filename", "")
        kind = request.query_params.get("type", "output")
        if ".." in name or "/" in name or name.startswith("\\"):
            return Response(status_code=400)
        data = self.outputs.get(f"{kind}/{name}")
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/png")

    async def upload(self, request: Request) -> Response:
        parts = parse_multipart(request.headers["content-type"], await request.body())
        files = [p for p in parts if p.name == "image" and p.filename]
        if not files:
            return Response(status_code=400)
        fields = {p.name: p.data.decode() for p in parts if p.filename is None}
        name = files[0].filename or "upload.png"
        subfolder = fields.get("subfolder", "")
        self.inputs[f"{subfolder}/{name}" if subfolder else name] = files[0].data
        return JSONResponse(
            {"name": name, "subfolder": subfolder, "type": fields.get("type", "input")}
        )

    def _validate(self, graph: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        for node_id, node in graph.items():
            problems = []
            if node.get("class_type") not in NODE_CLASSES:
                problems.append(
                    {
                        "type": "invalid_node",
                        "message": f"Node class {node.get('class_type')} not found",
                        "details": "",
                    }
                )
            for key, value in (node.get("inputs") or {}).items():
                if isinstance(value, list) and value and str(value[0]) not in graph:
                    problems.append(
                        {
                            "type": "missing_link",
                            "message": "Link to a missing node",
                            "details": key,
                        }
                    )
            if (
                node.get("class_type") == "LoadImage"
                and node["inputs"].get("image") not in self.inputs
            ):
                problems.append(
                    {
                        "type": "custom_validation_failed",
                        "message": "Invalid image file",
                        "details": f"image - Invalid image file: {node['inputs'].get('image')}",
                    }
                )
            if problems:
                errors[node_id] = {
                    "errors": problems,
                    "dependent_outputs": [],
                    "class_type": node.get("class_type"),
                }
        return errors

    def _draw(self, graph: dict[str, Any]) -> bytes:
        nodes = graph.values()
        texts = [n["inputs"].get("text", "") for n in nodes if n["class_type"] == "CLIPTextEncode"]
        seeds = [n["inputs"].get("seed") for n in nodes if n["class_type"] == "KSampler"]
        latent = next((n["inputs"] for n in nodes if n["class_type"] == "EmptyLatentImage"), None)
        loads = [n["inputs"]["image"] for n in nodes if n["class_type"] == "LoadImage"]
        tint = mean_colour(self.inputs[loads[0]]) if loads else None
        width, height = (latent["width"], latent["height"]) if latent else (512, 512)
        return png(width, height, f"{texts}|{seeds}", tint)


def txt2img_workflow() -> dict[str, Any]:
    """ComfyUI's default text-to-image graph, as `Export (API)` writes it."""
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 156680208700286,
                "steps": 20,
                "cfg": 8,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
            "_meta": {"title": "KSampler"},
        },
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
            "_meta": {"title": "Load Checkpoint"},
        },
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": 512, "height": 512, "batch_size": 1},
            "_meta": {"title": "Empty Latent Image"},
        },
        "6": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "beautiful scenery nature glass bottle landscape", "clip": ["4", 1]},
            "_meta": {"title": "CLIP Text Encode (Prompt)"},
        },
        "7": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "text, watermark", "clip": ["4", 1]},
            "_meta": {"title": "CLIP Text Encode (Prompt)"},
        },
        "8": {
            "class_type": "VAEDecode",
            "inputs": {"samples": ["3", 0], "vae": ["4", 2]},
            "_meta": {"title": "VAE Decode"},
        },
        "9": {
            "class_type": "SaveImage",
            "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]},
            "_meta": {"title": "Save Image"},
        },
    }


def img2img_workflow() -> dict[str, Any]:
    """The image-to-image variant: LoadImage → VAEEncode → KSampler (no empty latent)."""
    graph = txt2img_workflow()
    del graph["5"]
    graph["10"] = {
        "class_type": "LoadImage",
        "inputs": {"image": "example.png", "upload": "image"},
        "_meta": {"title": "Load Image"},
    }
    graph["11"] = {
        "class_type": "VAEEncode",
        "inputs": {"pixels": ["10", 0], "vae": ["4", 2]},
        "_meta": {"title": "VAE Encode"},
    }
    graph["3"]["inputs"].update(latent_image=["11", 0], denoise=0.6)
    return graph

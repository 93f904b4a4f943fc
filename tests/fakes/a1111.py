"""A fake of AUTOMATIC1111's web UI API, as documented (shared API notes, section 4).

`POST /sdapi/v1/txt2img` and `/sdapi/v1/img2img` answer `{"images": [base64 without a
data: prefix], "parameters": <request echo>, "info": "<JSON string>"}` where `info` holds
`seed`, `all_seeds`, `width`, `height`, `sd_model_name`, ...; `seed: -1` draws a seed.
Errors are `{"error", "detail", "body", "errors"}`; HTTP Basic auth when `auth` is set.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import mean_colour, png

SAMPLERS = {"Euler a", "Euler", "DPM++ 2M", "DDIM"}
CHECKPOINTS = {"v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"}


@dataclass
class FakeA1111:
    base: str = ""  # where the fake is served
    auth: str | None = None  # "user:password" when started with --api-auth
    calls: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/sdapi/v1/txt2img", self.txt2img, methods=["POST"]),
                Route("/sdapi/v1/img2img", self.img2img, methods=["POST"]),
            ]
        )

    async def txt2img(self, request: Request) -> JSONResponse:
        return await self._generate(request, image_to_image=False)

    async def img2img(self, request: Request) -> JSONResponse:
        return await self._generate(request, image_to_image=True)

    async def _generate(self, request: Request, image_to_image: bool) -> JSONResponse:
        if self.auth is not None:
            expected = "Basic " + base64.b64encode(self.auth.encode()).decode()
            if request.headers.get("authorization") != expected:
                return JSONResponse(
                    {"detail": "Incorrect username or password"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Basic"},
                )
        body = await request.json()
        self.calls.append(body)
        sampler = body.get("sampler_name", "Euler a")
        if sampler not in SAMPLERS:
            return failure(404, "HTTPException", "Sampler not found")
        checkpoint = (body.get("override_settings") or {}).get(
            "sd_model_checkpoint", "v1-5-pruned-emaonly.safetensors"
        )
        if checkpoint not in CHECKPOINTS:
            return failure(
                500,
                "RuntimeError",
                f"checkpoint {checkpoint} not found; loaded v1-5-pruned-emaonly.safetensors",
            )
        tint = None
        if image_to_image:
            inits = body.get("init_images") or []
            if not inits:
                return failure(
                    422, "ValidationError", "init_images: at least one image is required"
                )
            tint = mean_colour(base64.b64decode(inits[0].split(",", 1)[-1]))
        seed = body.get("seed", -1)
        seed = random.randrange(2**32) if seed in (-1, None) else int(seed)
        width, height = int(body.get("width", 512)) // 8 * 8, int(body.get("height", 512)) // 8 * 8
        image = base64.b64encode(png(width, height, f"{body.get('prompt')}|{seed}", tint)).decode()
        info = {
            "prompt": body.get("prompt", ""),
            "all_prompts": [body.get("prompt", "")],
            "negative_prompt": body.get("negative_prompt", ""),
            "seed": seed,
            "all_seeds": [seed],
            "subseed": 12345,
            "all_subseeds": [12345],
            "width": width,
            "height": height,
            "sampler_name": sampler,
            "cfg_scale": body.get("cfg_scale", 7.0),
            "steps": body.get("steps", 50),
            "batch_size": 1,
            "sd_model_name": checkpoint.rsplit(".", 1)[0],
            "sd_model_hash": "6ce0161689",
            "infotexts": [f"{body.get('prompt')}\nSteps: {body.get('steps', 50)}, Seed: {seed}"],
        }
        return JSONResponse({"images": [image], "parameters": body, "info": json.dumps(info)})


def failure(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": detail, "body": "", "errors": detail}, status_code=status
    )

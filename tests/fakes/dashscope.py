"""A fake of DashScope's image APIs, as documented (shared API notes, section 1).

- `POST /api/v1/services/aigc/multimodal-generation/generation`: the synchronous endpoint
  (text-to-image and Qwen-Image-Edit: one user message, 1–3 `{"image"}` items and exactly
  one `{"text"}`).
- `POST /api/v1/services/aigc/text2image/image-synthesis` with `X-DashScope-Async: enable`:
  submit a task (qwen-image-plus and qwen-image only); `GET /api/v1/tasks/{id}` polls it
  through PENDING → RUNNING → SUCCEEDED | FAILED | CANCELED; UNKNOWN for an unknown id.
- Errors are flat: `{"request_id", "code", "message"}` (401 InvalidApiKey, 400
  InvalidParameter / DataInspectionFailed, 429 Throttling.RateQuota).
- Results are signed OSS-style URLs (`/oss/<name>.png?Expires=&OSSAccessKeyId=&Signature=`)
  that answer 403 AccessDenied "Request has expired." after their expiry. A task query
  signs its result URLs again (an assumption: the docs do not say).
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import mean_colour, pause, png

FIXED_SIZES = {"1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"}
FIXED_MODELS = {"qwen-image", "qwen-image-plus", "qwen-image-max"}
ASYNC_MODELS = {"qwen-image", "qwen-image-plus"}
SERIES_2 = {"qwen-image-2.0", "qwen-image-2.0-pro"}
EDIT_MODELS = {"qwen-image-edit", "qwen-image-edit-plus", "qwen-image-edit-max"}
SECRET = b"oss-signing-secret"


@dataclass
class Task:
    model: str
    prompt: str
    parameters: dict[str, Any]
    polls_left: int
    status: str = "PENDING"
    end: str = "SUCCEEDED"
    code: str | None = None
    message: str | None = None
    images: list[str] = field(default_factory=list)  # OSS object names


@dataclass
class FakeDashScope:
    """State of the fake; tests set the knobs and read the records."""

    key: str = "sk-dashscope-test-key-0123456789"
    base: str = ""  # the server's URL, set when it starts
    throttle: int = 0  # answer the next N calls with 429 Throttling.RateQuota
    submit_delay_s: float = 0.0  # hold each submit this long (a timeout after sending)
    running_polls: int = 2  # polls that read RUNNING before a task ends
    task_end: str = "SUCCEEDED"  # or FAILED / CANCELED
    task_error: tuple[str, str] = ("InternalError.Algo", "Algorithm error.")
    url_ttl_s: float = 86400.0
    expired_signings: int = 0  # sign the next N result URLs as already expired
    submits: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    polls: int = 0
    downloads: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    tasks: dict[str, Task] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/api/v1/services/aigc/multimodal-generation/generation",
                    self.sync,
                    methods=["POST"],
                ),
                Route(
                    "/api/v1/services/aigc/text2image/image-synthesis",
                    self.submit,
                    methods=["POST"],
                ),
                Route("/api/v1/tasks/{task_id}", self.query, methods=["GET"]),
                Route("/oss/{name}", self.oss, methods=["GET"]),
            ]
        )

    # -- endpoints ---------------------------------------------------------------------------

    async def sync(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await request.json()
        self.submits.append(body)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await pause(self.submit_delay_s)
        finally:
            self.in_flight -= 1
        model, params = body.get("model"), body.get("parameters") or {}
        messages = (body.get("input") or {}).get("messages") or []
        if len(messages) != 1 or messages[0].get("role") != "user":
            return error(400, "InvalidParameter", "input.messages must hold one user message")
        content = messages[0].get("content") or []
        texts = [c["text"] for c in content if "text" in c]
        images = [c["image"] for c in content if "image" in c]
        if len(texts) != 1:
            return error(400, "InvalidParameter", "content must hold exactly one text item")
        if problem := check_model(model, params, len(images)):
            return problem
        if "FORBIDDEN" in texts[0]:
            return error(
                400, "DataInspectionFailed", "Input data may contain inappropriate content."
            )
        tint = mean_colour(decode_data_url(images[0])) if images else None
        name = self._store(model, texts[0], params, tint)
        width, height = size_of(params)
        return JSONResponse(
            {
                "output": {
                    "choices": [
                        {
                            "finish_reason": "stop",
                            "message": {
                                "role": "assistant",
                                "content": [{"image": self._sign(name)}],
                            },
                        }
                    ]
                },
                "usage": {"width": width, "height": height, "image_count": 1},
                "request_id": str(uuid.uuid4()),
            }
        )

    async def submit(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        if request.headers.get("x-dashscope-async") != "enable":
            return error(403, "AccessDenied", "current user api does not support synchronous calls")
        body = await request.json()
        self.submits.append(body)
        await pause(self.submit_delay_s)
        model, params = body.get("model"), body.get("parameters") or {}
        if model not in ASYNC_MODELS:
            return error(
                400, "InvalidParameter", f"Model {model} does not support asynchronous calls"
            )
        if problem := check_model(model, params, 0):
            return problem
        prompt = (body.get("input") or {}).get("prompt") or ""
        if not prompt:
            return error(
                400, "BadRequest.EmptyInput", "Required input parameter missing from request."
            )
        task_id = str(uuid.uuid4())
        task = Task(model, prompt, params, polls_left=self.running_polls, end=self.task_end)
        if "FORBIDDEN" in prompt:
            task.end, task.code, task.message = (
                "FAILED",
                "DataInspectionFailed",
                "Output data may contain inappropriate content.",
            )
        elif task.end == "FAILED":
            task.code, task.message = self.task_error
        self.tasks[task_id] = task
        return JSONResponse(
            {
                "output": {"task_status": "PENDING", "task_id": task_id},
                "request_id": str(uuid.uuid4()),
            }
        )

    async def query(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        self.polls += 1
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        request_id = str(uuid.uuid4())
        if task is None:
            return JSONResponse(
                {"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}}
            )
        if task.polls_left > 0:
            task.polls_left -= 1
            task.status = "RUNNING"
            return JSONResponse(
                {"request_id": request_id, "output": {"task_id": task_id, "task_status": "RUNNING"}}
            )
        output: dict[str, Any] = {
            "task_id": task_id,
            "task_status": task.end,
            "submit_time": "2026-11-25 10:00:00.000",
        }
        if task.end == "SUCCEEDED":
            if not task.images:
                task.images.append(self._store(task.model, task.prompt, task.parameters, None))
            result: dict[str, Any] = {"orig_prompt": task.prompt, "url": self._sign(task.images[0])}
            if task.parameters.get("prompt_extend", True):
                result["actual_prompt"] = task.prompt + ", rewritten with more detail"
            output["results"] = [result]
            return JSONResponse(
                {"request_id": request_id, "output": output, "usage": {"image_count": 1}}
            )
        if task.end == "FAILED":
            output.update(code=task.code, message=task.message)
        return JSONResponse({"request_id": request_id, "output": output})

    async def oss(self, request: Request) -> Response:
        self.downloads += 1
        name = request.path_params["name"]
        expires = request.query_params.get("Expires", "0")
        if (
            request.query_params.get("Signature") != signature(name, expires)
            or name not in self.objects
        ):
            return oss_error(
                "SignatureDoesNotMatch", "The request signature we calculated does not match."
            )
        if time.time() > float(expires):
            return oss_error("AccessDenied", "Request has expired.")
        return Response(self.objects[name], media_type="image/png")

    # -- helpers -------------------------------------------------------------------------------

    def _gate(self, request: Request) -> Response | None:
        self.headers.append(dict(request.headers))
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return error(401, "InvalidApiKey", "Invalid API-key provided.")
        if self.throttle > 0:
            self.throttle -= 1
            return error(
                429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."
            )
        return None

    def _store(
        self, model: str, prompt: str, params: dict[str, Any], tint: tuple[int, int, int] | None
    ) -> str:
        width, height = size_of(params)
        name = f"{uuid.uuid4().hex}.png"
        self.objects[name] = png(width, height, f"{model}|{prompt}|{params.get('seed')}", tint)
        return name

    def _sign(self, name: str) -> str:
        expires = str(int(time.time() + (-60 if self.expired_signings > 0 else self.url_ttl_s)))
        self.expired_signings = max(0, self.expired_signings - 1)
        return f"{self.base}/oss/{name}?Expires={expires}&OSSAccessKeyId=LTAI-fake&Signature={signature(name, expires)}"


def check_model(model: Any, params: dict[str, Any], images: int) -> Response | None:
    """The documented rules for each family: sizes, n, and how many input images."""
    if model not in FIXED_MODELS | SERIES_2 | EDIT_MODELS:
        return error(400, "InvalidParameter", "Model not exist.")
    if params.get("n", 1) != 1 and model in FIXED_MODELS | {"qwen-image-edit"}:
        return error(400, "InvalidParameter", "n must be 1 for this model")
    if model in EDIT_MODELS and not 1 <= images <= 3:
        return error(400, "InvalidParameter", "The number of input images must be between 1 and 3.")
    if model in FIXED_MODELS and images:
        return error(400, "InvalidParameter", "This model does not accept input images.")
    seed = params.get("seed", 0)
    if not isinstance(seed, int) or not 0 <= seed <= 2147483647:
        return error(400, "InvalidParameter", "seed must be in [0, 2147483647]")
    size = params.get("size")
    if size is None:
        return None
    if model == "qwen-image-edit":
        return error(400, "InvalidParameter", "size is not supported by qwen-image-edit")
    width, height = (int(v) for v in str(size).split("*"))
    if model in FIXED_MODELS and size not in FIXED_SIZES:
        return error(400, "InvalidParameter", f"The size {size} is not match the allowed size")
    if model in SERIES_2 and not 512 * 512 <= width * height <= 2048 * 2048:
        return error(400, "InvalidParameter", "total pixels must be between 512*512 and 2048*2048")
    if model in EDIT_MODELS and not (512 <= width <= 2048 and 512 <= height <= 2048):
        return error(400, "InvalidParameter", "width and height must be in [512, 2048]")
    return None


def size_of(params: dict[str, Any]) -> tuple[int, int]:
    width, height = (int(v) for v in str(params.get("size", "1024*1024")).split("*"))
    return width, height


def decode_data_url(url: str) -> bytes:
    if not url.startswith("data:image/") or ";base64," not in url:
        raise ValueError(f"the fake takes data URLs only, got {url[:40]}")
    return base64.b64decode(url.split(",", 1)[1])


def signature(name: str, expires: str) -> str:
    return hashlib.sha256(SECRET + name.encode() + expires.encode()).hexdigest()[:28]


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"request_id": str(uuid.uuid4()), "code": code, "message": message}, status_code=status
    )


def oss_error(code: str, message: str) -> Response:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{code}</Code>\n  <Message>{message}</Message>\n"
        f"  <RequestId>{uuid.uuid4().hex[:24].upper()}</RequestId>\n</Error>\n"
    )
    return Response(xml, status_code=403, media_type="application/xml")

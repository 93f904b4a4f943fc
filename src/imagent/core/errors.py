"""Error types with messages a user can act on."""

from __future__ import annotations


class ImagentError(Exception):
    """Base of every error imagent raises on purpose."""


class ConfigError(ImagentError):
    """A setting is missing or has a bad value; the message names the setting."""


class MissingKeyError(ConfigError):
    def __init__(self, env_var: str, backend: str) -> None:
        super().__init__(f"{backend} needs an API key: set the environment variable {env_var}")
        self.env_var = env_var


class UnknownBackendError(ImagentError):
    def __init__(self, kind: str, backend_id: str, known: list[str], suggestions: list[str]):
        hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        listing = ", ".join(known) or "none installed"
        super().__init__(
            f"unknown {kind} backend {backend_id!r}.{hint} Known {kind} providers: {listing}"
        )
        self.suggestions = suggestions


class MissingExtraError(ImagentError):
    def __init__(self, backend_id: str, extras: list[str], cause: str):
        spec = f"imagent[{','.join(extras)}]" if extras else "imagent"
        super().__init__(
            f"backend {backend_id!r} needs packages that are not installed ({cause}). "
            f"Install them with: pip install '{spec}'"
        )


class BackendError(ImagentError):
    """A backend failed after its retries; `retryable` says whether trying later may help."""

    def __init__(self, backend_id: str, message: str, *, retryable: bool = False):
        super().__init__(f"{backend_id}: {message}")
        self.backend_id = backend_id
        self.retryable = retryable


class StructuredOutputError(BackendError):
    """The model did not return JSON matching the schema, even after a re-ask."""


class ModelFilesError(ImagentError):
    """Embedded model files are missing or do not match their pinned sha256."""


class BadImageError(ImagentError):
    """An input image is unreadable, corrupt or too large."""


class RunNotFoundError(ImagentError):
    pass


class BudgetExceededError(ImagentError):
    """The run used its model-call budget; later optional calls are skipped."""


class RunFailedError(ImagentError):
    """A run stopped on an error. Its state is saved: resume it with `imagent runs resume ID`."""

    def __init__(self, run_id: str, cause: BaseException, result: object = None):
        super().__init__(
            f"run {run_id} failed: {cause}. Resume it with: imagent runs resume {run_id}"
        )
        self.run_id = run_id
        self.result = result

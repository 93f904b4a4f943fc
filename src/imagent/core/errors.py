"""Error types with messages a user can act on."""

from __future__ import annotations


class ImagentError(Exception):
    """Base of every error imagent raises on purpose."""


class ConfigError(ImagentError):
    """A setting is missing or has a bad value; the message names the setting.

    `problems` lists every problem found when there were several (`imagent doctor` shows
    them all; the message gives the first).
    """

    def __init__(self, message: str = "", *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class InputError(ImagentError):
    """Something handed in with a request cannot be used (a reference image that is missing
    or corrupt, say). It is found before the run exists, so nothing is saved.

    `field` names the request field (`images`, `mask`), `value` what was given.
    """

    def __init__(self, message: str, *, field: str = "", value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class StorageError(ImagentError):
    """A file under the data folder could not be written (disk full, no permission, a path
    under a regular file). Whatever was saved before stays as it was."""


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
    """A backend call failed; `retryable` says whether trying again may help.

    `status` is the provider's HTTP status, `code` its error code, `request_id` its id for
    the call (quote it to the provider's support), `retry_after` the seconds it asked us to
    wait. None of these ever carries a key.
    """

    def __init__(
        self,
        backend_id: str,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ):
        detail = ", ".join(
            part
            for part in (
                f"HTTP {status}" if status else "",
                f"code {code}" if code else "",
                f"request id {request_id}" if request_id else "",
            )
            if part
        )
        super().__init__(f"{backend_id}: {message}" + (f" ({detail})" if detail else ""))
        self.backend_id = backend_id
        self.message = message
        self.retryable = retryable
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after


class RateLimitedError(BackendError):
    """The provider said to slow down (HTTP 429) and retries were spent."""


class ModerationError(BackendError):
    """The provider refused the content (a moderation decision). Never retried: change the
    request instead."""


class AuthError(BackendError):
    """The provider rejected the key (HTTP 401/403). Never retried."""


class OutcomeUnknownError(BackendError):
    """A paid call was sent but its outcome is unknown (a timeout after submit). It is not
    re-submitted blindly, so nothing is paid twice; `task_id` says what to look up."""

    def __init__(self, backend_id: str, message: str, *, task_id: str | None = None, **kw: object):
        super().__init__(backend_id, message, **kw)  # type: ignore[arg-type]
        self.task_id = task_id


class DeadlineExceededError(BackendError):
    """The run's deadline passed before a backend call (or its retries) could finish."""


class StructuredOutputError(BackendError):
    """The model did not return JSON matching the schema, even after a re-ask."""


class ModelFilesError(ImagentError):
    """Embedded model files are missing or do not match their pinned sha256."""


class BadImageError(ImagentError):
    """An input image is unreadable, corrupt or too large."""


class RunNotFoundError(ImagentError):
    pass


class RunFileError(ImagentError):
    """A run.json that cannot be read: corrupt, or written by a newer version."""


class BudgetExceededError(ImagentError):
    """The run used its model-call budget; later optional calls are skipped."""


class RunFailedError(ImagentError):
    """A run stopped on an error. Its state is saved: resume it with `imagent runs resume ID`."""

    def __init__(self, run_id: str, cause: BaseException, result: object = None):
        what = cause if isinstance(cause, ImagentError) else f"{type(cause).__name__}: {cause}"
        super().__init__(
            f"run {run_id} failed: {what}. Resume it with: imagent runs resume {run_id}"
        )
        self.run_id = run_id
        self.result = result

"""What every backend shares: its id, and construction from an id plus settings."""

from __future__ import annotations

from typing import ClassVar, Self

from imagent.settings import Settings


class Backend:
    """Base of every provider class. `model` is the part of the id after the provider."""

    kind: ClassVar[str] = ""
    provider: ClassVar[str] = ""

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        self.model = model
        self.settings = settings or Settings()

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}" if self.model else self.provider

    @classmethod
    def from_id(cls, model: str, settings: Settings) -> Self:
        """Build the backend for `provider/model`; providers with options override this."""
        return cls(model, settings)

    async def aclose(self) -> None:
        """Release clients and files; the default has none."""

    async def ping(self) -> str | None:
        """Check that the backend answers (a hosted one: key, URL, model) with the cheapest
        real call it has, and say what answered; None when there is nothing remote to check.
        Used by `imagent doctor --ping`."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

"""The embedded `layout/...` renderer: exact text on themed, decorated canvases, no model."""

from imagent.backends.renderer.layout.regions import Layout
from imagent.backends.renderer.layout.renderer import LayoutRenderer, compose

__all__ = ["Layout", "LayoutRenderer", "compose"]

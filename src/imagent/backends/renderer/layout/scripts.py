"""Fonts for every script the layout renderer draws.

Latin, Greek and Cyrillic use the shipped DejaVu fonts. Chinese, Japanese and Korean use
Noto Sans CJK from the `noto-cjk-sans-otc` package (OFL), pinned and checked by size and
sha256 the first time a process uses it; a face of the collection is chosen by script
(Hangul: Korean, kana: Japanese, else Simplified Chinese).
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import cache
from importlib.resources import files
from pathlib import Path

from imagent.core.errors import ModelFilesError

CJK_PACKAGE = "noto_cjk_sans_otc"
CJK_FILE = "NotoSansCJK-Regular.ttc"
CJK_SIZE = 19_484_784
CJK_SHA256 = "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"
CJK_FACES = {"cjk-jp": 0, "cjk-kr": 1, "cjk-sc": 2, "cjk-tc": 3}
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_lock = threading.Lock()


def needs_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def font_for(text: str, font_name: str) -> str:
    """The font to set `text` in: the requested one, or a CJK face when it needs one."""
    if not needs_cjk(text):
        return font_name
    if _HANGUL.search(text):
        return "cjk-kr"
    if _KANA.search(text):
        return "cjk-jp"
    return "cjk-sc"


@cache
def cjk_font_path() -> Path:
    """The verified Noto Sans CJK collection; a clear error if it is missing or altered."""
    with _lock:
        try:
            path = Path(str(files(CJK_PACKAGE) / CJK_FILE))
        except ModuleNotFoundError as exc:
            raise ModelFilesError(
                "drawing Chinese, Japanese or Korean needs the Noto Sans CJK font: "
                "pip install noto-cjk-sans-otc==0.0.1"
            ) from exc
        if not path.is_file() or path.stat().st_size != CJK_SIZE:
            raise ModelFilesError(
                f"{path} is missing or the wrong size; reinstall noto-cjk-sans-otc"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != CJK_SHA256:
            raise ModelFilesError(
                f"{path} does not match its pinned sha256; reinstall noto-cjk-sans-otc"
            )
        return path

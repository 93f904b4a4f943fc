"""Documents cut into passages of a few sentences: small enough that a hit is a citable
snippet, large enough to keep a fact with the sentence that names its subject.

Paragraph ends are the preferred cuts; a paragraph longer than a passage is cut between
sentences (`.`, `!`, `?` and their CJK forms `。！？`); a sentence longer than a passage is cut
at a space, or anywhere in unspaced CJK text. A short heading line travels with the passage
after it.
"""

from __future__ import annotations

import re

MAX_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？；])")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*[-*•]\s)")


def passages(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """`text` as passages of at most `max_chars` characters, in order."""
    pieces: list[tuple[str, bool]] = []  # (piece, whether it starts a paragraph)
    for paragraph in _paragraphs(text):
        sentences = _sentences(paragraph, max_chars)
        pieces.extend((sentence, i == 0) for i, sentence in enumerate(sentences))
    return _pack(pieces, max_chars)


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks; single newlines inside one become spaces, except that a
    short line without final punctuation (a heading) stays its own block."""
    blocks = []
    for block in _PARAGRAPH.split(text):
        lines = [" ".join(line.split()) for line in block.splitlines()]
        current: list[str] = []
        for line in (line for line in lines if line):
            if _is_heading(line):
                if current:
                    blocks.append(" ".join(current))
                    current = []
                blocks.append(line)
            else:
                current.append(line)
        if current:
            blocks.append(" ".join(current))
    return blocks


def _is_heading(line: str) -> bool:
    return len(line) <= 80 and not re.search(r"[.!?。！？:：,，;；]$", line)


def _sentences(paragraph: str, max_chars: int) -> list[str]:
    if len(paragraph) <= max_chars:
        return [paragraph]
    sentences = [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]
    return [piece for sentence in sentences for piece in _split_long(sentence, max_chars)]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    parts = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", max_chars // 2, max_chars)
        cut = cut if cut > 0 else max_chars
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*parts, sentence] if sentence else parts


def _pack(pieces: list[tuple[str, bool]], max_chars: int) -> list[str]:
    """Join consecutive pieces while they fit (paragraphs on their own lines); a heading
    never ends a passage."""
    packed: list[str] = []
    current = ""
    for piece, new_paragraph in pieces:
        if not current:
            joined = piece
        elif new_paragraph:
            joined = f"{current}\n{piece}"
        else:
            joined = current + piece if _cjk_join(current, piece) else f"{current} {piece}"
        if len(joined) <= max_chars:
            current = joined
            continue
        if current and not _is_heading(current):
            packed.append(current)
            current = piece
        else:  # a heading alone: keep it with what follows, even past the limit
            current = joined
    if current:
        packed.append(current)
    return packed


def _cjk_join(left: str, right: str) -> bool:
    """CJK sentences join without a space."""
    return (
        bool(left)
        and bool(re.match(r"[\u3000-\u9fff\uff00-\uffef]", right[:1]))
        and bool(re.search(r"[\u3000-\u9fff\uff00-\uffef]$", left))
    )

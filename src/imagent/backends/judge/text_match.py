"""Matching expected text against what OCR read: pure functions, no OCR engine needed.

OCR output is noisy in known ways: large text comes back in fragments ("39" + "91"), spaces
appear or vanish between words, quotes and dashes come in typographic variants, and a letter
or two may be misread. Everything here compares normalised text, tries the fragments joined
with and without spaces, and allows a small edit distance only for long literal strings, so
that a short number such as "391" must be read exactly ("39" does not pass).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FUZZY_MIN_CHARS = 9  # literals shorter than this must match exactly
FUZZY_RATIO = 0.9  # 1 - edit distance / length, for longer literals

_QUOTES = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
    }
)
_SPACE_RE = re.compile(r"\s+")
# A quoted span: "…", “…”, «…», ‘…’ or '…' (not an apostrophe: no word character outside it).
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|“([^”]+)”|«([^»]+)»|‘([^’]+)’|(?<!\w)'([^']+)'(?!\w)")
_REGEX_META = set(".^$*+?{}[]|()")
_EDGE_ANCHORS = re.compile(r"^(?:\^|\\b)+|(?:\$|\\b)+$")


def normalise(text: str, *, fold: bool = True) -> str:
    """NFKC, one kind of quote and dash, single spaces; casefolded unless `fold=False`."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _SPACE_RE.sub(" ", text).strip()
    return text.casefold() if fold else text


def quoted(text: str) -> list[str]:
    """The quoted strings in `text`, e.g. `Does the sign read "OPEN"?` -> ["OPEN"]."""
    spans = ("".join(groups).strip() for groups in _QUOTED_RE.findall(text))
    return [span for span in spans if span]


def literal_of(pattern: str) -> str | None:
    """The plain text a regex stands for (`\\bOPEN NOW\\b` -> "OPEN NOW"), or None if it has
    regex syntax beyond escapes and edge anchors."""
    body = _EDGE_ANCHORS.sub("", pattern)
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if not escaped or escaped.isalnum():  # \d, \s, \b inside, ...: real regex syntax
                return None
            out.append(escaped)
        elif char in _REGEX_META:
            return None
        else:
            out.append(char)
    return "".join(out) or None


@dataclass(frozen=True)
class Haystack:
    """What OCR read, as the texts an expectation is searched in.

    `spaced` joins the fragments with spaces; `joined` drops all spaces, so "39" + "1" reads
    "391" and "OPEN" + "391" reads "OPEN391".
    """

    spaced: str
    joined: str
    cuts: frozenset[int]  # positions in `joined` where a space was
    raw_spaced: str  # without casefolding, for regexes
    raw_joined: str

    @classmethod
    def of(cls, fragments: Iterable[str]) -> Haystack:
        parts = [normalise(f) for f in fragments]
        parts = [p for p in parts if p]
        raw = [normalise(f, fold=False) for f in fragments]
        raw = [r for r in raw if r]
        spaced = " ".join(parts)
        cuts: set[int] = set()
        joined: list[str] = []
        for char in spaced:
            if char == " ":
                cuts.add(len(joined))
            else:
                joined.append(char)
        return cls(
            spaced=spaced,
            joined="".join(joined),
            cuts=frozenset(cuts),
            raw_spaced=" ".join(raw),
            raw_joined="".join(raw).replace(" ", ""),
        )


@dataclass(frozen=True)
class Expectation:
    """One piece of text an image must show: a literal string or a regex."""

    text: str
    regex: bool = False

    def __str__(self) -> str:
        return f"/{self.text}/" if self.regex else repr(self.text)

    def found_in(self, hay: Haystack) -> bool:
        if self.regex:
            pattern = re.compile(self.text, re.IGNORECASE)
            variants = (hay.raw_spaced, hay.raw_joined, hay.spaced, hay.joined)
            if any(pattern.search(v) for v in variants):
                return True
            literal = literal_of(self.text)
            # Exact literals were covered by the regex; only long ones get fuzzy credit.
            return literal is not None and _fuzzy_found(normalise(literal), hay)
        return literal_found(normalise(self.text), hay)


def literal_found(expected: str, hay: Haystack) -> bool:
    """Whether normalised `expected` is in what was read, whole and not part of a longer token."""
    if not expected:
        return False
    if _bounded_find(expected, hay.spaced, frozenset()):
        return True
    if _bounded_find(expected.replace(" ", ""), hay.joined, hay.cuts):
        return True
    return _fuzzy_found(expected, hay)


def _bounded_find(needle: str, text: str, cuts: frozenset[int]) -> bool:
    """A match of `needle` in `text` whose edges are a text edge, a non-alphanumeric
    neighbour, or a fragment cut; so "391" is not found in "3912"."""
    if not needle:
        return False
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        if _edge_ok(text, start, cuts, before=True) and _edge_ok(text, end, cuts, before=False):
            return True
        start = text.find(needle, start + 1)
    return False


def _edge_ok(text: str, at: int, cuts: frozenset[int], *, before: bool) -> bool:
    if at in (0, len(text)) or at in cuts:
        return True
    inside, outside = (text[at], text[at - 1]) if before else (text[at - 1], text[at])
    return not (inside.isalnum() and outside.isalnum())


def _fuzzy_found(expected: str, hay: Haystack) -> bool:
    if len(expected.replace(" ", "")) < FUZZY_MIN_CHARS:
        return False
    for needle, text in ((expected, hay.spaced), (expected.replace(" ", ""), hay.joined)):
        distance, window = best_window(needle, text)
        similar = 1 - distance / len(needle) >= FUZZY_RATIO
        if similar and _numbers_kept(needle, window):
            return True
    return False


def _numbers_kept(expected: str, window: str) -> bool:
    """Numbers carry meaning (prices, dates, counts): each number of `expected` must be read
    exactly, in order. Extra digits are tolerated, since OCR reads "O" as "0" often enough."""
    read = iter(re.findall(r"\d+", window))
    return all(number in read for number in re.findall(r"\d+", expected))


def best_window(needle: str, text: str) -> tuple[int, str]:
    """The substring of `text` closest to `needle` and its edit distance (Sellers' algorithm:
    Levenshtein distance where the match may start and end anywhere in `text`)."""
    if not needle:
        return 0, ""
    # Per column j of text: best distance of needle[:i] ending at text[j], and where it started.
    prev = [0] * (len(text) + 1)
    prev_start = list(range(len(text) + 1))
    for i, char in enumerate(needle, start=1):
        row, row_start = [i], [0]
        for j, other in enumerate(text, start=1):
            options = (
                (prev[j - 1] + (char != other), prev_start[j - 1]),  # substitute / match
                (prev[j] + 1, prev_start[j]),  # needle char missing from text
                (row[j - 1] + 1, row_start[j - 1]),  # extra char in text
            )
            cost, start = min(options)
            row.append(cost)
            row_start.append(start)
        prev, prev_start = row, row_start
    # Of equally close windows, the one nearest the needle's length, then the leftmost.
    end = min(range(len(prev)), key=lambda j: (prev[j], abs(j - prev_start[j] - len(needle)), j))
    return prev[end], text[prev_start[end] : end]


Box = Sequence[Sequence[float]]


def reading_order(boxes: Sequence[tuple[Box, str]]) -> list[str]:
    """Texts of OCR boxes (each a list of corner points) by line, top to bottom, then left to
    right. A box joins a line when its vertical centre lies within the line's span."""
    spans = []
    for box, text in boxes:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        spans.append((min(ys), max(ys), min(xs), text))
    lines: list[list[tuple[float, float, float, str]]] = []
    for span in sorted(spans, key=lambda s: (s[0] + s[1]) / 2):
        centre = (span[0] + span[1]) / 2
        line = lines[-1] if lines else []
        if line and min(s[0] for s in line) <= centre <= max(s[1] for s in line):
            line.append(span)
        else:
            lines.append([span])
    return [s[3] for line in lines for s in sorted(line, key=lambda s: s[2])]

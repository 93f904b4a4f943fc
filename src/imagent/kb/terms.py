"""Text into search terms for the two full-text indexes of the knowledge base.

The word index (`unicode61` with Porter stemming) sees Latin-script words, and CJK text as
overlapping character pairs: `unicode61` would otherwise read a whole unspaced Chinese
sentence as one token and find nothing inside it. The trigram index sees the text as it is
and answers substrings of three or more characters (a partial word, a code, a CJK phrase).
A query asks both for any of its terms (OR); BM25 ranks what shares the rarer terms, and
ranks from the two indexes are fused.
"""

from __future__ import annotations

import re
import unicodedata

# Han, kana, Hangul and CJK punctuation-free letters: scripts written without spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
_STOPWORDS = """a an and are as at be been but by can could did do does for from had has have how
i if in into is it its me my of on or our should so than that the their them then there these they
this those to was we were what when where which who whom whose why will with would you your about
also any each just more most much no not only other some such very"""
STOPWORDS = frozenset(_STOPWORDS.split())


def cjk_bigrams(run: str) -> list[str]:
    """Overlapping character pairs of an unspaced CJK run ("最佳影片" → 最佳 佳影 影片)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str) -> str:
    """`text` for the word index: CJK runs spelled as their bigrams, all else unchanged."""
    return _CJK_RUN.sub(lambda m: " " + " ".join(cjk_bigrams(m.group())) + " ", text)


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """(word-index terms, trigram-index terms) of a query, stopwords out, order kept."""
    words: list[str] = []
    grams: list[str] = []
    for token in _TOKEN.findall(unicodedata.normalize("NFKC", query)):
        if _CJK_RUN.fullmatch(token):
            words.extend(cjk_bigrams(token))
            grams.extend(token[i : i + 3] for i in range(len(token) - 2))
        elif token.lower() not in STOPWORDS and (len(token) > 1 or token.isdigit()):
            words.append(token)
            if len(token) >= 3:
                grams.append(token)
    return _unique(words), _unique(grams)


def match_expression(terms: list[str]) -> str | None:
    """An FTS5 MATCH string asking for any of `terms`, each quoted (no query syntax leaks)."""
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    return kept

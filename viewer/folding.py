"""Folding text for the collection's searches, fast: one translate table shared by all.

Owns the accent- and case-blind forms the collection stores and matches (the
same as :func:`viewer.filtering.fold`, character by character at C speed),
the mapping of a match in folded text back to the letter's own offsets, the
phrase pattern of a query, and the keys that order the collection register.
"""

from __future__ import annotations

import bisect
import codecs
import re
import threading

from viewer.filtering import fold, kind_order

# Every character met so far, and what it folds to when that differs from itself:
# str.translate with this table folds a text at C speed.
_FOLD_SEEN: set[str] = set()
_FOLD_TABLE: dict[int, str] = {}
_FOLD_LOCK = threading.Lock()
# What the full-text index takes as a word: letters and digits (FTS5's unicode61 rule).
_WORD = re.compile(r"[^\W_]+")


def _fold_table(text: str) -> dict[int, str]:
    new = set(text) - _FOLD_SEEN
    if new:
        with _FOLD_LOCK:
            for ch in new:
                folded = fold(ch)
                if folded != ch:
                    _FOLD_TABLE[ord(ch)] = folded
            _FOLD_SEEN.update(new)
    return _FOLD_TABLE


def fold_fast(text: str) -> str:
    """``fold`` character by character through the shared table (the same result here)."""
    return text.translate(_fold_table(text))


def fold_for_index(text: str) -> str:
    """:func:`fold`, in a few C calls: several times faster on long texts.

    Folding goes character by character (casefold, NFKD and dropping marks
    never look at a character's neighbours, but for combining marks, which are
    dropped), so the text is folded in pieces: its ASCII letters are lowered
    in one pass over its UTF-8 bytes (which leaves every other character as it
    is), then the ASCII codec copies the ASCII and hands each run of other
    characters to :func:`_fold_run`, whose folded UTF-8 it copies in. German
    or French text has a short run every few words, and the same runs recur.
    """
    if text.isascii():
        return text.lower()
    lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return lowered.encode("ascii", _FOLD_RUNS_HANDLER).decode("utf-8", "surrogatepass")


def _fold_run(error: UnicodeEncodeError) -> tuple[bytes, int]:
    """The codec error handler :func:`fold_for_index` uses: a run of non-ASCII text, folded."""
    run = error.object[error.start : error.end]
    folded = _FOLDED_RUNS.get(run)
    if folded is None:
        if len(_FOLDED_RUNS) >= 100_000:  # bounded, whatever the texts hold
            _FOLDED_RUNS.clear()
        folded = _FOLDED_RUNS[run] = fold(run).encode("utf-8", "surrogatepass")
    return folded, error.end


_FOLDED_RUNS: dict[str, bytes] = {}
_FOLD_RUNS_HANDLER = "epistola.fold-runs"
codecs.register_error(_FOLD_RUNS_HANDLER, _fold_run)


def sort_key(value: str) -> str:
    """A column's sort key: folded, so that sorting ignores case and accents."""
    return fold_for_index(value)


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when folding changed its length, each folded char's source index.

    ``None`` means folded index == original index (the common case: é → e keeps
    the length; ß → ss or ligatures do not).
    """
    table = _fold_table(text)
    folded = text.translate(table)
    if len(folded) == len(text) and not any(
        len(table.get(ord(ch), ch)) != 1 for ch in set(text) if ord(ch) in table
    ):
        return folded, None
    offsets: list[int] = []
    for index, ch in enumerate(text):
        replacement = table.get(ord(ch))
        offsets.extend([index] * (1 if replacement is None else len(replacement)))
    return folded, offsets


def original_span(offsets: list[int] | None, start: int, end: int, text: str) -> tuple[int, int]:
    if offsets is None:
        return start, end
    if start >= len(offsets):
        return len(text), len(text)
    original_start = offsets[start]
    original_end = offsets[end - 1] + 1 if end > start else original_start
    return original_start, original_end


def phrase_pattern(query: str) -> re.Pattern[str] | None:
    """The query's words, folded, in order, with any whitespace between them."""
    words = fold(query).split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words))


def index_query(query: str) -> str | None:
    """The FTS5 query finding every letter that may hold ``query`` as a phrase.

    The query's words must be the letter's words, one after the other, the
    first and last of them allowed to continue (the phrase's last token is a
    prefix; its first may be a prefix only when alone); the phrase itself is
    then checked on the letter's text. None: the query
    has no word the index knows (only punctuation), so every letter is a candidate.
    """
    words = _WORD.findall(fold_for_index(query))
    if not words:
        return None
    # A phrase whose last word is a prefix: the query's words (those the
    # tokenizer sees) must follow each other, the last may go on.
    return '"' + " ".join(words) + '"*'


_FOLD_LENGTHS: dict[str, int] = {}
# Characters met so far whose fold is one character, and those whose fold is not.
_FOLDS_TO_ONE: set[str] = set()
_FOLDS_TO_OTHER: set[str] = set()


def _fold_length(ch: str) -> int:
    found = _FOLD_LENGTHS.get(ch)
    if found is None:
        found = _FOLD_LENGTHS[ch] = len(fold(ch))
    return found


def find_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Where ``pattern`` (over folded text) matches ``text``, as spans of ``text`` itself.

    :func:`fold_with_offsets` maps every character in Python; this folds in C
    and maps only the characters whose fold is not one character long (ß,
    ligatures, combining marks), found with one regex pass.
    """
    folded = fold_for_index(text)
    found = [(m.start(), m.end()) for m in pattern.finditer(folded)]
    if not found:
        return []
    chars = set(text)
    unknown = chars - _FOLDS_TO_ONE - _FOLDS_TO_OTHER
    for ch in unknown:
        (_FOLDS_TO_ONE if _fold_length(ch) == 1 else _FOLDS_TO_OTHER).add(ch)
    special = chars & _FOLDS_TO_OTHER
    if not special:
        return found
    where = re.compile("[" + "".join(map(re.escape, sorted(special))) + "]")
    starts: list[int] = []  # in folded text
    origins: list[int] = []  # in text
    lengths: list[int] = []
    shift = 0
    for match in where.finditer(text):
        index = match.start()
        length = _fold_length(text[index])
        starts.append(index + shift)
        origins.append(index)
        lengths.append(length)
        shift += length - 1

    def origin(position: int) -> int:
        """The character of ``text`` whose fold holds folded ``position``."""
        k = bisect.bisect_right(starts, position) - 1
        if k < 0:
            return position
        start, index, length = starts[k], origins[k], lengths[k]
        if position < start + length:
            return index
        return position - start + index - length + 1

    return [(origin(start), origin(end - 1) + 1 if end > start else origin(start))
            for start, end in found]  # fmt: skip


def locate(text: str, query: str, near: int = 0) -> tuple[int, int] | None:
    """Where ``query`` occurs in ``text``, the occurrence nearest ``near``.

    For showing a hit in a letter whose text may differ from the indexed one
    (another reading, or the file changed since).
    """
    pattern = phrase_pattern(query)
    if pattern is None:
        return None
    folded, offsets = fold_with_offsets(text)
    best: tuple[int, int] | None = None
    for match in pattern.finditer(folded):
        span = original_span(offsets, match.start(), match.end(), text)
        if best is None or abs(span[0] - near) < abs(best[0] - near):
            best = span
    return best


def _fold_lines(texts: list[str]) -> list[str]:
    """``fold`` of each text, all at once (the register holds 100,000 names)."""
    if not texts:
        return []
    joined = "\0".join(t.replace("\0", " ") for t in texts)
    folded = fold_for_index(joined).split("\0")
    if len(folded) != len(texts):  # a character that folds to NUL: never in practice
        return [fold(t) for t in texts]
    return folded


def entity_order_keys(rows: list[tuple[int, str, str, str]]) -> tuple[list[tuple], list[str]]:
    """For (row id, entity id, kind, name) rows: their register sort keys and search texts.

    The register lists entities by kind, then folded name, then id; its search
    looks in the folded name and id.
    """
    ids = [row[1] for row in rows]
    names = [row[3] or row[1] for row in rows]
    folded_names = _fold_lines(names)
    folded_ids = _fold_lines(ids)
    keys = [
        (kind_order(row[2]), folded_name, row[1])
        for row, folded_name in zip(rows, folded_names, strict=True)
    ]
    hays = [f"{name}\n{key}" for name, key in zip(folded_names, folded_ids, strict=True)]
    return keys, hays

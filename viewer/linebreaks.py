"""How the letter pane reads the source's line breaks, without Qt: flowing or as lines.

Owns the two line modes and what they need from a :class:`viewer.model.Letter`:
which characters of the reading text are the source's line breaks
(:func:`flowing_characters`: the newline an ``lb`` made, read as a space in
flowing text, or as nothing inside a word), the text the pane shows in a mode
(:func:`shown_text`, always as long as ``Letter.text``: offsets never move), and
the number of each source line (:func:`line_numbers`: the ``lb``'s ``@n``, else
the page and line its ``xml:id`` carries, Jean Paul's ``VI_218-3`` being page 218,
line 3, else its count within the page).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from viewer.model import Letter
from viewer.records import Record, frozen

FLOWING = "flowing"  # a source line break reads as a space; paragraphs stay paragraphs
SOURCE_LINES = "lines"  # each lb starts a new line
LINE_MODES = (FLOWING, SOURCE_LINES)
DEFAULT_LINE_MODE = FLOWING

SPACE = " "
# Same length as the newline it stands for (offsets never move), but nothing to read.
NOTHING = "\u200b"
EVERY = 5  # the margin shows every fifth line number (all of them on hover)

# "VI_218-3", "II_136-17", "IV-5_173-3" (Jean Paul: page 218, line 3), "p1-l3" (Escher):
# the last two numbers of an id, joined by punctuation and at most a short word.
_ID_PAGE_LINE = re.compile(r"(\d{1,5})[-_.:,]+[A-Za-z]{0,4}[-_.:]?(\d{1,3})$")


def flowing_characters(letter: Letter) -> list[tuple[int, str]]:
    """(offset of a source line break's newline, what flowing text shows there), in order."""
    text = letter.text
    found: list[tuple[int, str]] = []
    for line in letter.line_breaks:
        at = line.offset - 1
        if line.flows and 0 <= at < len(text) and text[at] == "\n":
            found.append((at, NOTHING if line.in_word else SPACE))
    return found


def shown_text(letter: Letter, mode: str) -> str:
    """The text the pane inserts in ``mode``: ``Letter.text``, in flowing mode with each
    source line break's newline replaced by one character."""
    if mode != FLOWING:
        return letter.text
    changes = flowing_characters(letter)
    if not changes:
        return letter.text
    parts: list[str] = []
    last = 0
    text = letter.text
    for at, shown in changes:
        parts.append(text[last:at])
        parts.append(shown)
        last = at + 1
    parts.append(text[last:])
    return "".join(parts)


def page_and_line(identifier: str) -> tuple[str, str] | None:
    """The page and line an lb's xml:id carries (``VI_218-3`` -> ("218", "3")), if any."""
    found = _ID_PAGE_LINE.search(identifier)
    if found is None:
        return None
    return str(int(found.group(1))), str(int(found.group(2)))


@frozen
class LineNumber(Record):
    """The number of one source line: ``line`` is what the margin shows."""

    offset: int  # where the line starts in the letter's text
    line: str  # "3", "20"
    page: str = ""  # the page the id names ("218"), or ""
    id: str = ""

    @property
    def label(self) -> str:
        """Page and line when the id carries both ("218,3"), else the line."""
        return f"{self.page},{self.line}" if self.page else self.line

    @property
    def always_shown(self) -> bool:
        """Every fifth line keeps its number in the margin; the others show on hover."""
        return self.line.isdigit() and int(self.line) % EVERY == 0


def _page_starts(letter: Letter) -> list[int]:
    starts = {page.offset for page in letter.pages}
    starts.update(s.start for s in letter.spans if s.style == "pb" and s.start == s.end)
    return sorted(starts)


def line_numbers(letter: Letter) -> list[LineNumber]:
    """One number per line break of ``letter.line_breaks``, in the same order."""
    pages = _page_starts(letter)
    numbers: list[LineNumber] = []
    page_index, count = -1, 0
    for line in letter.line_breaks:
        here = bisect_right(pages, line.offset) - 1
        if here != page_index:
            page_index, count = here, 0
        count += 1
        carried = page_and_line(line.id) if line.id else None
        if line.n:
            page = carried[0] if carried and carried[1] == _digits(line.n) else ""
            numbers.append(LineNumber(line.offset, line.n, page, line.id))
        elif carried is not None:
            numbers.append(LineNumber(line.offset, carried[1], carried[0], line.id))
        else:
            numbers.append(LineNumber(line.offset, str(count), "", line.id))
    return numbers


def _digits(value: str) -> str:
    return str(int(value)) if value.isdigit() else value


def line_index_at(numbers: list[LineNumber], offset: int) -> int | None:
    """Index of the source line holding ``offset`` (the last that starts at or before it)."""
    index = bisect_right([n.offset for n in numbers], offset) - 1
    return index if index >= 0 else None


__all__ = [
    "DEFAULT_LINE_MODE",
    "FLOWING",
    "LINE_MODES",
    "NOTHING",
    "SOURCE_LINES",
    "SPACE",
    "LineNumber",
    "flowing_characters",
    "line_index_at",
    "line_numbers",
    "page_and_line",
    "shown_text",
]

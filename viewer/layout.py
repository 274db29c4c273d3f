"""The letter's layout without Qt: where formatting changes, and what each run looks like.

Owns what the letter pane computes before it touches a QTextDocument:
:func:`segment` cuts a letter's text into runs of equal look (its enclosing
mentions and typographic tokens) and records, per segment, the innermost
mention (for hit-testing) in a :class:`Layout`; :func:`rend_tokens` maps TEI
span styles and ``@rend``/``@rendition`` words to tokens; :class:`Offsets`
converts letter offsets (code points) to Qt positions (UTF-16 units) and back;
:func:`note_targets` pairs each note marker with its note's text (recorded by
the parser). Everything here is plain Python and tested without a QApplication.
"""

from __future__ import annotations

from bisect import bisect_left

from viewer.model import Letter, Span
from viewer.records import MutableRecord, mutable

UNRESOLVED = "unresolved"  # the pseudo-kind of a mention whose references resolve nowhere

# Span styles (viewer.tei.text) -> typographic tokens.
CHOICE = ("sic", "corr", "reg", "orig", "abbr", "expan", "am", "ex")
_EMPHASIS_ELEMENTS = ("hi", "emph", "foreign", "term", "mentioned", "soCalled", "q", "said")
_ITALIC_BY_DEFAULT = frozenset({"hi", "emph", "foreign", "term", "mentioned"})
# Words of @rend / @rendition (lower case, "#" stripped) -> tokens. Covers the corpus'
# editions: Schnitzler's rend values, Jean Paul's and Mitford's rendition pointers.
_REND_WORDS = {
    "italic": "italic", "italics": "italic", "i": "italic", "it": "italic", "kursiv": "italic",
    "bold": "bold", "b": "bold", "fett": "bold",
    "underline": "underline", "underlined": "underline", "u": "underline", "uu": "underline",
    "underscore": "underline", "double-underline": "underline", "unterstrichen": "underline",
    "sup": "sup", "superscript": "sup", "super": "sup", "hoch": "sup",
    "sub": "sub", "subscript": "sub", "tief": "sub",
    "strike": "strike", "strikethrough": "strike", "line-through": "strike",
    "overstrike": "strike", "durchgestrichen": "strike",
    "small-caps": "smallcaps", "smallcaps": "smallcaps", "sc": "smallcaps",
    "capitals": "capitals", "caps": "capitals", "uppercase": "capitals",
    "spaced": "spaced", "spaced-out": "spaced", "g": "spaced", "gesperrt": "spaced",
    "letterspaced": "spaced",
    "latintype": "sans", "aq": "sans", "antiqua": "sans",
    "pre-print": "printed", "printed": "printed",
}  # fmt: skip


def rend_tokens(style: str, detail: str) -> frozenset[str]:
    """The typographic tokens one span asks for."""
    if style == "head":
        return frozenset({"bold"})
    if style in CHOICE:
        return frozenset({"choice"})
    if style == "del":
        return frozenset({"strike", "del"})
    if style == "add":
        return frozenset({"add"})
    if style in ("gap", "supplied"):
        return frozenset({"grey"})
    if style == "unclear":
        return frozenset({"grey", "italic"})
    if style == "figure":
        return frozenset({"grey", "italic"})
    if style in _EMPHASIS_ELEMENTS:
        words = detail.replace(",", " ").replace(";", " ").lower().split()
        found = {_REND_WORDS[w.lstrip("#")] for w in words if w.lstrip("#") in _REND_WORDS}
        if not found and style in _ITALIC_BY_DEFAULT and not detail:
            found.add("italic")
        if not found and style in ("hi", "emph") and detail:
            found.add("italic")  # an unknown rendition is still a highlighted passage
        return frozenset(found)
    return frozenset()


class Offsets:
    """Letter offsets (code points) <-> document positions (UTF-16 units).

    They differ only after characters outside the Basic Multilingual Plane, which
    QTextDocument stores as surrogate pairs; most letters have none.
    """

    def __init__(self, text: str) -> None:
        self._astral: list[int] = []
        if text and max(text) > "\uffff":
            self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        self._qt_astral = [a + i for i, a in enumerate(self._astral)]

    def to_qt(self, offset: int) -> int:
        if not self._astral:
            return offset
        return offset + bisect_left(self._astral, offset)

    def from_qt(self, position: int) -> int:
        if not self._astral:
            return position
        return position - bisect_left(self._qt_astral, position)


Chain = tuple[tuple[str, bool], ...]
Key = tuple[Chain, frozenset[str]]


@mutable
class Layout(MutableRecord):
    """What the letter pane records while it builds, in letter offsets."""

    bounds: list[int]  # segment boundaries: segment i is [bounds[i], bounds[i + 1])
    inner: list[int]  # innermost mention index of each segment, or -1
    parent: list[int]  # per mention: the mention it sits in, or -1
    run_starts: list[int]
    run_ends: list[int]
    run_keys: list[int]  # index into keys
    keys: list[Key]
    runs_by_kind: dict[str, list[int]]  # kind -> runs whose chain holds it


def _differs_only_in_case(text: str, span: Span) -> bool:
    shown = text[span.start : span.end]
    return bool(span.detail) and shown != span.detail and shown.casefold() == span.detail.casefold()


def note_targets(letter: Letter) -> list[tuple[int, int, int]]:
    """(marker start, marker end, offset of the note's own text or -1) per note."""
    return [(note.anchor, note.marker_end, note.body) for note in letter.notes]


def segment(letter: Letter) -> Layout:
    """Cut the text where any formatting changes and describe each run.

    Runs are what set_letter inserts; segments (finer: every mention boundary) answer
    ``mention_at``. Linear in the number of boundaries apart from two sorts, and written
    with list comprehensions and integer keys: at 50,000 mentions every pass counts.
    """
    text = letter.text
    size = len(text)
    mentions = list(letter.mentions)
    starts = [m.start for m in mentions]
    ends = [m.end for m in mentions]
    indices = list(range(len(mentions)))
    if any(not 0 <= a < b <= size for a, b in zip(starts, ends, strict=True)):
        # Never from viewer.tei; a hand-made Letter may have them. Leave them out.
        indices = [i for i in indices if 0 <= starts[i] < ends[i] <= size]
        mentions = [mentions[i] for i in indices]
        starts = [starts[i] for i in indices]
        ends = [ends[i] for i in indices]
    styled: list[tuple[int, int, frozenset[str]]] = []
    for span in letter.spans:
        if 0 <= span.start < span.end <= size:
            if span.style in CHOICE and _differs_only_in_case(letter.text, span):
                # A heading printed in capitals and normalised ("ADVISORY BOARD"): no
                # reading differs, so no correction mark; the tooltip still tells.
                continue
            tokens = rend_tokens(span.style, span.detail)
            if tokens:
                styled.append((span.start, span.end, tokens))
    for block in letter.blocks:
        if block.kind in ("letterhead", "note") and 0 <= block.start < block.end <= size:
            styled.append((block.start, block.end, frozenset({block.kind})))
    for note in letter.notes:
        if 0 <= note.anchor < note.marker_end <= size:
            styled.append((note.anchor, note.marker_end, frozenset({"marker"})))

    points = {0, size, *starts, *ends}
    for start, end, _ in styled:
        points.add(start)
        points.add(end)
    bounds = sorted(points)
    where = {point: i for i, point in enumerate(bounds)}
    count = len(bounds) - 1

    # Paint mentions outermost first, so each segment ends up with its innermost one;
    # equal ranges: the element nested inside (recorded first by the parser) wins.
    total = len(mentions)
    span_key = size + 1
    order_keys = [
        (start * span_key + (size - end)) * (total + 1) + (total - i)
        for i, (start, end) in enumerate(zip(starts, ends, strict=True))
    ]
    order = sorted(range(total), key=order_keys.__getitem__)
    inner_local = [-1] * count
    parent = [-1] * total
    for i in order:
        a, b = where[starts[i]], where[ends[i]]
        parent[i] = inner_local[a]
        if b - a == 1:
            inner_local[a] = i
        else:
            inner_local[a:b] = [i] * (b - a)

    # Chains of enclosing mentions, as small integers. A mention that its parent does
    # not wholly contain (overlap rather than nesting) gets its chain per segment below.
    links = [(m.kind, bool(m.unresolved) and not m.entities) for m in mentions]
    chain_ids: dict[Chain, int] = {(): 0}
    chains: list[Chain] = [()]
    mention_chain = [0] * total
    overlapping: list[int] = []
    for i in order:  # parents come before their children in this order
        p = parent[i]
        if p < 0:
            chain: Chain = (links[i],)
        elif starts[p] <= starts[i] and ends[i] <= ends[p] and mention_chain[p] >= 0:
            chain = (links[i], *chains[mention_chain[p]])
        else:
            mention_chain[i] = -1
            overlapping.append(i)
            continue
        chain_id = chain_ids.get(chain)
        if chain_id is None:
            chain_id = chain_ids[chain] = len(chains)
            chains.append(chain)
        mention_chain[i] = chain_id

    token_ids: dict[frozenset[str], int] = {frozenset(): 0}
    token_sets: list[frozenset[str]] = [frozenset()]
    tokens_at = [0] * count
    for start, end, tokens in styled:
        for s in range(where[start], where[end]):
            have = tokens_at[s]
            merged = tokens if not have else token_sets[have] | tokens
            token_id = token_ids.get(merged)
            if token_id is None:
                token_id = token_ids[merged] = len(token_sets)
                token_sets.append(merged)
            tokens_at[s] = token_id

    factor = 1 << 20
    mention_chain.append(0)  # inner_local == -1 reads the appended 0: no mention
    seg_keys = [mention_chain[m] * factor + t for m, t in zip(inner_local, tokens_at, strict=True)]
    for i in overlapping:
        for s in range(where[starts[i]], where[ends[i]]):
            if inner_local[s] != i:
                continue
            chain_links: list[tuple[str, bool]] = []
            j = i
            while j >= 0:
                if starts[j] <= bounds[s] and ends[j] >= bounds[s + 1]:
                    chain_links.append(links[j])
                j = parent[j]
            chain = tuple(chain_links)
            chain_id = chain_ids.get(chain)
            if chain_id is None:
                chain_id = chain_ids[chain] = len(chains)
                chains.append(chain)
            seg_keys[s] = chain_id * factor + tokens_at[s]

    changes = [s for s in range(1, count) if seg_keys[s] != seg_keys[s - 1]]
    run_starts = [bounds[0], *(bounds[s] for s in changes)] if count else []
    run_ends = [*run_starts[1:], bounds[count]] if count else []
    run_raw = [seg_keys[0], *(seg_keys[s] for s in changes)] if count else []
    key_index: dict[int, int] = {}
    keys: list[Key] = []
    for raw in run_raw:
        if raw not in key_index:
            key_index[raw] = len(keys)
            keys.append((chains[raw // factor], token_sets[raw % factor]))
    run_keys = [key_index[raw] for raw in run_raw]

    runs_of_key: list[list[int]] = [[] for _ in keys]
    for run, key_id in enumerate(run_keys):
        runs_of_key[key_id].append(run)
    runs_by_kind: dict[str, list[int]] = {}
    for (chain, _), runs in zip(keys, runs_of_key, strict=True):
        kinds = {kind for kind, _ in chain}
        if any(unresolved for _, unresolved in chain):
            kinds.add(UNRESOLVED)
        for kind in kinds:
            runs_by_kind.setdefault(kind, []).extend(runs)

    indices.append(-1)  # inner_local == -1 (no mention) stays -1
    inner = [indices[i] for i in inner_local]
    parents = [-1] * len(letter.mentions)
    for i, p in enumerate(parent):
        parents[indices[i]] = indices[p]
    return Layout(
        bounds=bounds,
        inner=inner,
        parent=parents,
        run_starts=run_starts,
        run_ends=run_ends,
        run_keys=run_keys,
        keys=keys,
        runs_by_kind=runs_by_kind,
    )


__all__ = [
    "CHOICE",
    "UNRESOLVED",
    "Layout",
    "Offsets",
    "note_targets",
    "rend_tokens",
    "segment",
]

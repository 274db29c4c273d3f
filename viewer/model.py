"""The domain model: plain frozen dataclasses describing one parsed letter.

Nothing here knows about XML or Qt. ``viewer.tei`` produces these objects;
the command line serialises them with :func:`letter_to_json`; the window
shows them. Offsets (``start``/``end``) always index ``Letter.text``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

from viewer.records import Record, frozen

ENTITY_KINDS = ("person", "organisation", "place", "date", "treaty", "work", "event", "other")
# The two readings of a letter: expansions and regularisations, or the source as written.
READINGS = ("normalised", "diplomatic")


@frozen
class Entity(Record):
    """One entry of the entity register (in the letter or in a register file)."""

    id: str
    kind: str
    name: str
    variants: tuple[str, ...] = ()
    authority: tuple[str, ...] = ()
    source: str | None = None  # register file the entry came from; None: the letter itself
    description: str | None = None


@frozen
class Region(Record):
    """A rectangle on a page image, in that image's pixels (``page`` indexes Letter.pages)."""

    page: int
    x: int
    y: int
    w: int
    h: int


@frozen
class Mention(Record):
    """A stretch of the reading text that names one or more entities."""

    start: int
    end: int
    kind: str
    entities: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()  # references that matched no register entry
    implied: bool = False  # TEI subtype="implied": an indirect reference ("the play")
    line: int | None = None  # source line of the tagging element
    in_note: bool = False  # the mention sits inside an editorial note, not the letter text
    regions: tuple[Region, ...] = ()  # where its line or element is on the page images


@frozen
class LineReference(Record):
    """An entity attached to a printed line rather than tagged inline (Jean Paul)."""

    start: int  # offset of the line's start in the reading text
    end: int  # offset of the line's end
    line_id: str
    entities: tuple[str, ...]
    unresolved: tuple[str, ...] = ()
    label: str = ""  # the name as the note gives it
    uncertain: bool = False


@frozen
class Span(Record):
    """Typographic or editorial markup over a stretch of the text (sic, del, hi...)."""

    start: int
    end: int
    style: str  # e.g. "head", "sic", "corr", "del", "add", "gap", "unclear", "supplied", "italic"
    detail: str = ""  # the other reading of a choice, a gap's reason, a rendition


@frozen
class Note(Record):
    """An editorial or authorial note shown as a marker at ``anchor``."""

    anchor: int  # offset of the marker in the reading text
    marker_end: int  # end offset of the marker text
    label: str
    text: str
    kind: str = ""  # the note's @type
    line: int | None = None
    body: int = -1  # offset of the note's paragraph ("[label] text") after the letter; -1: none


@frozen
class Block(Record):
    """A paragraph-like unit of the reading text, for layout (indentation, headings)."""

    start: int
    end: int
    kind: str  # "p", "head", "opener", "closer", "address", "letterhead", "note", "postscript"...


@frozen
class LineBreak(Record):
    """An ``lb`` that makes a break in the reading text: ``offset`` is where its line starts.

    ``flows``: the character before ``offset`` is a newline that only this lb made
    (not a paragraph's or a verse line's end), so flowing text reads it as a space,
    or as nothing when ``in_word`` (``break="no"`` or a hyphen, diplomatic reading).
    """

    offset: int
    n: str = ""
    id: str = ""
    flows: bool = False
    in_word: bool = False


@frozen
class Page(Record):
    """A page of the original: where it starts in the text and which image shows it.

    ``facs`` is what the encoding names (a file name, an URL, a pointer);
    ``image`` the local file found for it, or None. ``width``/``height`` are the
    image's pixel size when it was found, else the size the encoding declares,
    else None. ``remote`` says the encoding wants an http(s)/IIIF image, which
    Epistola never fetches.
    """

    n: str
    facs: str | None = None
    image: str | None = None
    width: int | None = None
    height: int | None = None
    offset: int = 0
    remote: bool = False


@frozen
class Zone(Record):
    """A region of a page image linked to a stretch of the text (a line or an element)."""

    region: Region
    start: int
    end: int
    target: str = ""  # the line's or element's xml:id, or the zone's own id


@frozen
class LetterDate(Record):
    """The letter's date: normalised where the encoding allows, and as written."""

    when: str | None  # ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD) or None when unknown
    text: str  # as written, or as the encoding states it
    not_before: str | None = None
    not_after: str | None = None


@frozen
class Party(Record):
    """A sender or recipient (or a place): a display name and the entities it names."""

    name: str
    entities: tuple[str, ...] = ()


@frozen
class CorrespondenceName(Record):
    """A person, organisation or place of one correspondence action, as exports need it.

    ``authority`` holds the authority URIs (GND, VIAF, GeoNames, ...) of the
    register entries the name points to, never those of an affiliation.
    """

    name: str
    kind: str  # "person", "organisation" or "place"
    entities: tuple[str, ...] = ()
    authority: tuple[str, ...] = ()
    uncertain: bool = False  # the source says cert low/medium/unknown
    conjecture: bool = False  # the source says evidence conjecture/external: not in the letter


@frozen
class CorrespondenceDate(Record):
    """A date of a correspondence action: only real calendar dates (YYYY, YYYY-MM, YYYY-MM-DD)."""

    when: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    from_: str | None = None  # a letter written over several days: from/to
    to: str | None = None
    text: str = ""
    uncertain: bool = False
    conjecture: bool = False

    @property
    def has_value(self) -> bool:
        return any((self.when, self.not_before, self.not_after, self.from_, self.to))


@frozen
class CorrespondenceAction(Record):
    """One action of a letter's correspDesc: who sent or received it, where, when."""

    type: str  # "sent" or "received"
    names: tuple[CorrespondenceName, ...] = ()
    places: tuple[CorrespondenceName, ...] = ()
    date: CorrespondenceDate | None = None


@frozen
class EditionInfo(Record):
    """What a letter's header says about the edition it belongs to."""

    title: str = ""
    publisher: str = ""
    licence_target: str = ""
    licence_text: str = ""


@frozen
class Correspondence(Record):
    """One letter's correspondence metadata (sender, recipient, places, dates), for CMIF."""

    file: str
    title: str
    key: str  # the letter's id in its edition (root xml:id, else the file name's stem)
    url: str | None  # the letter's own permanent URL when its header gives one
    sent: CorrespondenceAction
    received: CorrespondenceAction
    edition: EditionInfo = EditionInfo()
    swapped: bool = False  # correspDesc labelled the parties the other way round


@frozen
class Affiliation(Record):
    """The organisation a letterhead member belongs to, and the entities it names."""

    name: str
    entities: tuple[str, ...] = ()


@frozen
class Member(Record):
    """One member of a letterhead section: a person with role/affiliation, or an organisation."""

    name: str
    kind: str
    entities: tuple[str, ...] = ()
    role: str | None = None
    affiliation: Affiliation | None = None
    start: int | None = None  # where the member is printed in the reading text
    end: int | None = None

    def involves(self, entity_id: str) -> bool:
        """True when the member is, or is affiliated with, the entity."""
        if entity_id in self.entities:
            return True
        return self.affiliation is not None and entity_id in self.affiliation.entities


@frozen
class LetterheadSection(Record):
    """One section of a letterhead: a list of members, or (``printed``) its printed lines.

    ``issuer`` is the entity whose stationery it is (None when the letterhead names
    none); ``block`` numbers the letterheads of one letter, so that the sections of
    one printed block stay together (a letter on two letterheads has blocks 0 and 1).
    """

    title: str
    members: tuple[Member, ...] = ()
    issuer: str | None = None
    printed: bool = False
    block: int = 0


@frozen
class Diagnostic(Record):
    """Something the reader noticed about the letter's encoding (see --check)."""

    severity: str  # "error" | "warning" | "info"
    code: str
    message: str
    line: int | None = None


@frozen
class Letter(Record):
    """Everything Epistola knows about one letter file."""

    file: str
    title: str
    text: str
    date: LetterDate | None = None
    senders: tuple[Party, ...] = ()
    recipients: tuple[Party, ...] = ()
    places: tuple[Party, ...] = ()
    source: str = ""
    entities: tuple[Entity, ...] = ()
    mentions: tuple[Mention, ...] = ()
    letterhead: tuple[LetterheadSection, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    spans: tuple[Span, ...] = ()
    notes: tuple[Note, ...] = ()
    blocks: tuple[Block, ...] = ()
    line_references: tuple[LineReference, ...] = ()
    reading: str = "normalised"  # or "diplomatic": which side of each choice the text shows
    has_choices: bool = False  # whether the other reading would differ
    line_breaks: tuple[LineBreak, ...] = ()
    pages: tuple[Page, ...] = ()  # in text order
    zones: tuple[Zone, ...] = ()  # every image region linked to the text
    _entity_index: dict[str, Entity] = field(default_factory=dict, compare=False, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._entity_index.update((entity.id, entity) for entity in self.entities)

    def entity(self, entity_id: str) -> Entity | None:
        return self._entity_index.get(entity_id)

    def mentions_of(self, entity_id: str) -> list[Mention]:
        return [mention for mention in self.mentions if entity_id in mention.entities]

    def mention_counts(self) -> dict[str, int]:
        """Mentions and line references per entity id (a fresh dict; counted once)."""
        if not self._counts and (self.mentions or self.line_references):
            counts: dict[str, int] = {}
            for mention in self.mentions:
                for entity_id in mention.entities:
                    counts[entity_id] = counts.get(entity_id, 0) + 1
            for reference in self.line_references:
                for entity_id in reference.entities:
                    counts[entity_id] = counts.get(entity_id, 0) + 1
            self._counts.update(counts)
        return dict(self._counts)

    def letterhead_entities(self) -> set[str]:
        found: set[str] = set()
        for section in self.letterhead:
            for member in section.members:
                found.update(member.entities)
                if member.affiliation is not None:
                    found.update(member.affiliation.entities)
        return found


@frozen
class StagedLetter(Record):
    """A letter read in two stages, so that a long one shows before it is all read.

    ``letter`` is the whole letter, or, while ``rest`` is set, its first part:
    a prefix of the whole text with every mention, span and block inside it
    (no notes' texts, no diagnostics). ``rest()`` reads the whole letter; it
    holds no Qt object and may run in another thread, once.
    """

    letter: Letter
    rest: Callable[[], Letter] | None = field(default=None, compare=False, repr=False)

    @property
    def complete(self) -> bool:
        return self.rest is None


def _party(party: Party) -> dict:
    return {"name": party.name, "entities": list(party.entities)}


def _region(region: Region) -> dict:
    return {"page": region.page, "x": region.x, "y": region.y, "w": region.w, "h": region.h}


def letter_to_json(letter: Letter) -> dict:
    """The public ``--dump`` shape. Extend it with new keys; never rename or drop one."""
    return {
        "file": letter.file,
        "title": letter.title,
        "date": None
        if letter.date is None
        else {
            "when": letter.date.when,
            "text": letter.date.text,
            "notBefore": letter.date.not_before,
            "notAfter": letter.date.not_after,
        },
        "sender": [_party(p) for p in letter.senders],
        "recipient": [_party(p) for p in letter.recipients],
        "places": [_party(p) for p in letter.places],
        "source": letter.source,
        "reading": letter.reading,
        "text": letter.text,
        "entities": [
            {
                "id": e.id,
                "kind": e.kind,
                "name": e.name,
                "variants": list(e.variants),
                "authority": list(e.authority),
                "register": e.source,
            }
            for e in letter.entities
        ],
        "mentions": [
            {
                "start": m.start,
                "end": m.end,
                "kind": m.kind,
                "entities": list(m.entities),
                "unresolved": list(m.unresolved),
                "implied": m.implied,
                "inNote": m.in_note,
                "line": m.line,
                "regions": [_region(r) for r in m.regions],
            }
            for m in letter.mentions
        ],
        "lineReferences": [
            {
                "start": r.start,
                "end": r.end,
                "lineId": r.line_id,
                "entities": list(r.entities),
                "unresolved": list(r.unresolved),
                "label": r.label,
                "uncertain": r.uncertain,
            }
            for r in letter.line_references
        ],
        "letterhead": [
            {
                "title": section.title,
                "issuer": section.issuer,
                "printed": section.printed,
                "block": section.block,
                "members": [
                    {
                        "name": member.name,
                        "kind": member.kind,
                        "entities": list(member.entities),
                        "role": member.role,
                        "affiliation": None
                        if member.affiliation is None
                        else {
                            "name": member.affiliation.name,
                            "entities": list(member.affiliation.entities),
                        },
                    }
                    for member in section.members
                ],
            }
            for section in letter.letterhead
        ],
        "notes": [
            {"anchor": n.anchor, "label": n.label, "text": n.text, "type": n.kind, "line": n.line}
            for n in letter.notes
        ],
        "lineBreaks": [{"offset": b.offset, "n": b.n, "id": b.id} for b in letter.line_breaks],
        "pages": [
            {
                "n": p.n,
                "facs": p.facs,
                "image": p.image,
                "width": p.width,
                "height": p.height,
                "offset": p.offset,
                "remote": p.remote,
            }
            for p in letter.pages
        ],
        "diagnostics": [
            {"severity": d.severity, "code": d.code, "message": d.message, "line": d.line}
            for d in letter.diagnostics
        ],
    }

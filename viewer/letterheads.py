"""Letterheads across a collection: grouped by issuer, and each issuer's versions over time.

Qt-free and lxml-free. One letter contributes one :class:`LetterheadRecord` per
letterhead block (see viewer.tei.letterhead): its issuer, title and the lines
that make up its printed stationery: a printed letterhead's lines, or for a
structured one "Section: Member — role, affiliation". Lines holding the
letter's own date ("Paris, 9. August.", written into the printed form) are not
stationery and are left out, so that letters on the same paper compare equal.

:func:`group_letterheads` groups records by issuer (the issuer's entity id; a
letterhead naming no entity by its normalised lines), and within a group finds
the **versions**: the distinct sets of lines, each with its letters and date
range, in the order they first appear. Between one version and the next it
tells which lines appeared, disappeared or changed (a line is changed when a
member keeps its name under a new role, or a line reads the same but for its
numbers, or nearly the same). An undated letter belongs to the version with
exactly its lines; :meth:`LetterheadGroup.matches` ranks versions by likeness
to date a letter that matches none exactly.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from viewer.model import Letter

_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " .,:;·–—-"
_DIGITS = re.compile(r"\d+")
ROLE_SEPARATOR = " — "
# A removed and an added line this alike (difflib ratio) are one line changed.
CHANGED_LINE_RATIO = 0.75
# A version is compared with the most alike of this many versions before it.
COMPARED_VERSIONS = 64


@dataclass(frozen=True)
class LetterheadRecord:
    """One letterhead of one letter, as the collection keeps it (compact, cacheable)."""

    issuer: str | None
    title: str
    printed: bool
    lines: tuple[str, ...]

    def to_json(self) -> list:
        return [self.issuer, self.title, self.printed, list(self.lines)]

    @classmethod
    def from_json(cls, data: object) -> LetterheadRecord:
        if not isinstance(data, list) or len(data) != 4:
            raise ValueError("bad letterhead row")
        issuer, title, printed, lines = data
        if issuer is not None and not isinstance(issuer, str):
            raise ValueError("bad letterhead issuer")
        if not isinstance(title, str) or not isinstance(lines, list):
            raise ValueError("bad letterhead row")
        if not all(isinstance(line, str) for line in lines):
            raise ValueError("bad letterhead line")
        return cls(issuer, title, bool(printed), tuple(lines))


def letterhead_records(letter: Letter) -> tuple[LetterheadRecord, ...]:
    """The letter's letterheads, one record per block, without its own date lines."""
    dated = [(m.start, m.end) for m in letter.mentions if m.kind == "date" and not m.in_note]
    blocks: dict[int, list] = {}
    for section in letter.letterhead:
        blocks.setdefault(section.block, []).append(section)
    records: list[LetterheadRecord] = []
    for sections in blocks.values():
        lines: list[str] = []
        for section in sections:
            for member in section.members:
                if (
                    member.start is not None
                    and member.end is not None
                    and _overlaps(member.start, member.end, dated)
                ):
                    continue
                if section.printed:
                    lines.append(member.name)
                    continue
                line = f"{section.title}: {member.name}"
                details = [part for part in (member.role,) if part]
                if member.affiliation is not None:
                    details.append(member.affiliation.name)
                if details:
                    line += ROLE_SEPARATOR + ", ".join(details)
                lines.append(line)
        first = sections[0]
        title = first.title
        if not first.printed and first.issuer is not None:
            # A structured letterhead's first section is "Staff"; the paper is the issuer's.
            entity = letter.entity(first.issuer)
            title = entity.name if entity is not None and entity.name else title
        records.append(LetterheadRecord(first.issuer, title, first.printed, tuple(lines)))
    return tuple(records)


def _overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(s < end and e > start for s, e in ranges)


def normalise_line(line: str) -> str:
    """A line as compared: case, spacing and the punctuation at its edges do not count."""
    return _SPACE.sub(" ", line).strip(_EDGE_PUNCTUATION).casefold()


# ---------------------------------------------------------------- grouping


@dataclass(frozen=True)
class LetterOnLetterhead:
    """One letter of a group: its file, date (ISO, '' when undated) and lines."""

    file: str
    date: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class LineChange:
    before: str
    after: str


@dataclass(frozen=True)
class Version:
    """One state of an issuer's letterhead: its lines, the letters on it, its date range."""

    lines: tuple[str, ...]
    letters: tuple[str, ...]  # files: dated ones in date order, then undated ones
    first: str | None
    last: str | None
    added: tuple[str, ...] = ()  # against the version before it
    removed: tuple[str, ...] = ()
    changed: tuple[LineChange, ...] = ()
    since: int | None = None  # the earlier version (index) these differences are against


@dataclass(frozen=True)
class LetterheadGroup:
    """Every letterhead of one issuer in a collection."""

    key: str  # the issuer id, or "text:" and the letterhead's normalised lines
    issuer: str | None
    title: str
    printed: bool
    letters: tuple[LetterOnLetterhead, ...]  # dated in date order, then undated
    versions: tuple[Version, ...]
    _keys: tuple[frozenset[str], ...] = field(default=(), compare=False, repr=False)

    @property
    def files(self) -> list[str]:
        """The letters written on this letterhead, in date order (undated last)."""
        return list(dict.fromkeys(letter.file for letter in self.letters))

    @property
    def first(self) -> str | None:
        dates = [letter.date for letter in self.letters if letter.date]
        return min(dates) if dates else None

    @property
    def last(self) -> str | None:
        dates = [letter.date for letter in self.letters if letter.date]
        return max(dates) if dates else None

    @property
    def undated(self) -> list[LetterOnLetterhead]:
        return [letter for letter in self.letters if not letter.date]

    def matches(self, lines: Sequence[str]) -> list[tuple[int, float]]:
        """(version index, likeness 0..1) for ``lines``, best first; 1.0 is the same paper."""
        wanted = frozenset(normalise_line(line) for line in lines)
        ranked = [(i, _likeness(wanted, key)) for i, key in enumerate(self._keys)]
        return sorted(ranked, key=lambda pair: (-pair[1], pair[0]))

    def to_json(self) -> dict:
        return {
            "issuer": self.issuer,
            "title": self.title,
            "letters": self.files,
            "first": self.first,
            "last": self.last,
            "printed": self.printed,
            "versions": [
                {
                    "lines": list(v.lines),
                    "letters": list(v.letters),
                    "first": v.first,
                    "last": v.last,
                    "added": list(v.added),
                    "removed": list(v.removed),
                    "changed": [{"before": c.before, "after": c.after} for c in v.changed],
                    "since": v.since,
                }
                for v in self.versions
            ],
            "undated": [
                {
                    "letter": letter.file,
                    "matches": [i for i, score in self.matches(letter.lines) if score == 1.0],
                }
                for letter in self.undated
            ],
        }


def _likeness(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def group_key(record: LetterheadRecord) -> str:
    if record.issuer:
        return record.issuer
    lines = [normalise_line(line) for line in record.lines] or [normalise_line(record.title)]
    return "text:" + " | ".join(lines)


def group_letterheads(
    letters: Iterable[tuple[str, str, Sequence[LetterheadRecord]]],
) -> list[LetterheadGroup]:
    """Every letterhead of ``letters`` (file, ISO sort date or '', records), by issuer.

    Groups come with the most letters first, then by title.
    """
    gathered: dict[str, list[tuple[LetterheadRecord, LetterOnLetterhead]]] = {}
    for file, date, records in letters:
        for record in records:
            entry = LetterOnLetterhead(file, date or "", record.lines)
            gathered.setdefault(group_key(record), []).append((record, entry))
    groups = [_group(key, entries) for key, entries in gathered.items()]
    groups.sort(key=lambda g: (-len(g.files), g.title.casefold(), g.key))
    return groups


def _group(key: str, entries: list[tuple[LetterheadRecord, LetterOnLetterhead]]) -> LetterheadGroup:
    dated = sorted((e for _r, e in entries if e.date), key=lambda e: (e.date, e.file))
    undated = sorted((e for _r, e in entries if not e.date), key=lambda e: e.file)
    # The title most letters give (an issuer's name is the same in each; a text key's
    # title may vary).
    titles: dict[str, int] = {}
    for record, _entry in entries:
        titles[record.title] = titles.get(record.title, 0) + 1
    title = max(titles, key=lambda t: (titles[t], -len(t)))
    # The earliest letter's record speaks for the group (dated before undated).
    first_record = min(entries, key=lambda pair: (not pair[1].date, pair[1].date, pair[1].file))[0]
    if first_record.issuer is None and first_record.lines:
        # No issuer named: the paper is known by its first printed line ("Hotel Bristol").
        title = " ".join(first_record.lines[0].split())

    order: list[frozenset[str]] = []
    members: dict[frozenset[str], list[LetterOnLetterhead]] = {}
    for entry in [*dated, *undated]:
        version_key = frozenset(normalise_line(line) for line in entry.lines)
        if version_key not in members:
            members[version_key] = []
            order.append(version_key)
        members[version_key].append(entry)
    versions: list[Version] = []
    for number, version_key in enumerate(order):
        on_it = members[version_key]
        lines = on_it[0].lines
        dates = [e.date for e in on_it if e.date]
        # Compared with the most alike earlier version: an issuer may print two papers
        # at once (head office and a bureau), and each changes on its own.
        # Only the latest few are candidates: a paper whose every letter differs (a date
        # written without a <date>) must not make this quadratic.
        since = max(
            range(max(0, number - COMPARED_VERSIONS), number),
            key=lambda i: (_likeness(order[i], version_key), i),
            default=None,
        )
        previous = None if since is None else versions[since].lines
        added, removed, changed = _difference(previous, lines)
        versions.append(
            Version(
                lines=lines,
                letters=tuple(e.file for e in on_it),
                first=min(dates) if dates else None,
                last=max(dates) if dates else None,
                added=added,
                removed=removed,
                changed=changed,
                since=since,
            )
        )
    return LetterheadGroup(
        key=key,
        issuer=first_record.issuer,
        title=title,
        printed=first_record.printed,
        letters=tuple([*dated, *undated]),
        versions=tuple(versions),
        _keys=tuple(order),
    )


def _difference(
    before: tuple[str, ...] | None, after: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[LineChange, ...]]:
    """(added, removed, changed) from ``before`` to ``after``; nothing for the first version."""
    if before is None:
        return (), (), ()
    old = {normalise_line(line): line for line in before}
    new = {normalise_line(line): line for line in after}
    removed = [line for key, line in old.items() if key not in new]
    added = [line for key, line in new.items() if key not in old]
    changed: list[LineChange] = []
    for line in list(removed):
        partner = _partner(line, added)
        if partner is not None:
            changed.append(LineChange(line, partner))
            removed.remove(line)
            added.remove(partner)
    return tuple(added), tuple(removed), tuple(changed)


def _partner(line: str, candidates: list[str]) -> str | None:
    """The added line that is ``line`` changed: same member, same words but numbers, alike."""
    name = _member_name(line)
    for candidate in candidates:
        with_role = ROLE_SEPARATOR in line or ROLE_SEPARATOR in candidate
        if with_role and _member_name(candidate) == name:
            return candidate
    shape = _DIGITS.sub("#", normalise_line(line))
    for candidate in candidates:
        if _DIGITS.sub("#", normalise_line(candidate)) == shape:
            return candidate
    best, best_ratio = None, CHANGED_LINE_RATIO
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(normalise_line(line))  # difflib caches what it learns of seq2
    for candidate in candidates:
        matcher.set_seq1(normalise_line(candidate))
        # The cheap upper bounds first: most pairs are far apart.
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio >= best_ratio:
            best, best_ratio = candidate, ratio
    return best


def _member_name(line: str) -> str:
    """A structured line's member without its role ("Council: Ada Hale")."""
    return normalise_line(line.split(ROLE_SEPARATOR, 1)[0])

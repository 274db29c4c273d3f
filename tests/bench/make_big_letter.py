"""Generates a large, valid TEI letter for benchmarks (and tests that need a big input).

``make_letter()`` returns the bytes of one letter of about ``target_bytes`` with exactly
``mentions`` tagged mentions (persName, placeName, orgName, date, rs type="treaty"/"work"),
a few of them nested and a few pointing nowhere, plus the editorial markup a real edition
has (hi, choice/sic/corr, del/add, lb, pb, notes). Every reference but the dangling ones
resolves to a register in ``standOff``. The output depends only on the arguments and the
seed, so runs are comparable.

Run as a script to write a file: ``python tests/bench/make_big_letter.py OUT.xml``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from xml.sax.saxutils import escape

_FORENAMES = (
    "Anna", "Bruno", "Clara", "Dora", "Emil", "Franz", "Greta", "Hugo", "Ida", "Jakob",
    "Karl", "Lotte", "Max", "Nora", "Otto", "Paula", "Rosa", "Stefan", "Tilde", "Viktor",
)  # fmt: skip
_SURNAMES = (
    "Adler", "Berger", "Czerny", "Dietrich", "Eder", "Fischer", "Gruber", "Hofer",
    "Jäger", "Kraus", "Lang", "Moser", "Novak", "Pichler", "Reiter", "Schuster",
    "Traxler", "Unger", "Vogel", "Wagner", "Zeller", "O’Brien", "Müller-Lüdenscheidt",
)  # fmt: skip
_PLACES = (
    "Wien", "Berlin", "Baku", "Genève", "Zürich", "Leipzig", "Praha", "Trieste", "Salzburg",
    "Reading", "Bayreuth", "Ischl", "Graz", "Linz", "München", "Budapest", "Kraków",
)  # fmt: skip
_ORG_HEADS = ("Verein", "Gesellschaft", "Campaign", "Bank", "Theater", "Akademie", "Bund")
_WORDS = (
    "und", "der", "die", "das", "mit", "für", "über", "letter", "the", "of", "to", "a",
    "herzlich", "Dank", "Ihren", "Brief", "we", "have", "been", "following", "schon",
    "lange", "nicht", "mehr", "gesehen", "Zeit", "Arbeit", "Buch", "Stück", "Abend",
    "morgen", "gestern", "immer", "noch", "sehr", "ganz", "wieder", "Grüße", "ſehr",
    "«Quote»", "—", "50%", "A&B", "<b>", "x<y", "naïve", "Ångström", "ΑΒΓ", "Ω",
)  # fmt: skip
_TREATIES = ("Mine Ban Treaty", "Convention", "Ottawa Treaty", "Protocol II")
_WORKS = ("Der Weg ins Freie", "Liebelei", "Reigen", "Our Village", "Titan", "Hesperus")


def _words(rng: random.Random, count: int) -> str:
    return " ".join(escape(rng.choice(_WORDS)) for _ in range(count))


class _Register:
    def __init__(self, rng: random.Random, people: int, places: int, orgs: int) -> None:
        self.people = [
            (f"p{i}", f"{rng.choice(_FORENAMES)} {rng.choice(_SURNAMES)}") for i in range(people)
        ]
        self.places = [(f"l{i}", f"{rng.choice(_PLACES)}") for i in range(places)]
        self.orgs = [
            (f"o{i}", f"{rng.choice(_ORG_HEADS)} {rng.choice(_PLACES)}") for i in range(orgs)
        ]
        self.treaties = [(f"t{i}", name) for i, name in enumerate(_TREATIES)]
        self.works = [(f"w{i}", name) for i, name in enumerate(_WORKS)]

    def xml(self) -> str:
        parts = ["<standOff>\n<listPerson>\n"]
        parts += [
            f'<person xml:id="{i}"><persName type="reg">{escape(n)}</persName></person>\n'
            for i, n in self.people
        ]
        parts.append("</listPerson>\n<listOrg>\n")
        parts += [
            f'<org xml:id="{i}"><orgName type="reg">{escape(n)}</orgName></org>\n'
            for i, n in self.orgs
        ]
        parts.append("</listOrg>\n<listPlace>\n")
        parts += [
            f'<place xml:id="{i}"><placeName type="reg">{escape(n)}</placeName></place>\n'
            for i, n in self.places
        ]
        parts.append('</listPlace>\n<listBibl type="treaties">\n')
        parts += [
            f'<bibl type="treaty" xml:id="{i}"><title type="reg">{escape(n)}</title></bibl>\n'
            for i, n in self.treaties
        ]
        parts += [
            f'<bibl type="work" xml:id="{i}"><title type="reg">{escape(n)}</title></bibl>\n'
            for i, n in self.works
        ]
        parts.append("</listBibl>\n</standOff>\n")
        return "".join(parts)


def _mention(rng: random.Random, register: _Register, compact: float) -> tuple[str, int]:
    """One mention's markup and how many mentions it holds (nesting makes two).

    With probability ``compact`` a person or place is written as a bare ``<rs ref>`` (its
    kind then comes from the register), which keeps dense letters near their target size.
    """
    roll = rng.random()
    if roll < 0.55 and rng.random() < compact:
        ident, name = rng.choice(register.people if roll < 0.35 else register.places)
        return f'<rs ref="#{ident}">{escape(name.rpartition(" ")[2])}</rs>', 1
    if roll < 0.35:
        ident, name = rng.choice(register.people)
        if rng.random() < 0.02:
            ident = "nobody"  # a dangling reference, as real editions have
        if rng.random() < 0.75:
            name = name.rpartition(" ")[2]  # letters name people by surname as often as not
        return f'<persName ref="#{ident}">{escape(name)}</persName>', 1
    if roll < 0.55:
        ident, name = rng.choice(register.places)
        return f'<placeName ref="#{ident}">{escape(name)}</placeName>', 1
    if roll < 0.70:
        ident, name = rng.choice(register.orgs)
        if rng.random() < 0.15:
            head, _, place = name.partition(" ")
            place_id = next((i for i, n in register.places if n == place), None)
            if place_id is not None:
                inner = f'<placeName ref="#{place_id}">{escape(place)}</placeName>'
                return f'<orgName ref="#{ident}">{escape(head)} {inner}</orgName>', 2
        return f'<orgName ref="#{ident}">{escape(name)}</orgName>', 1
    if roll < 0.85:
        year = rng.randint(1800, 2007)
        if rng.random() < 0.75:
            return f'<date when="{year}">{year}</date>', 1
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        return f'<date when="{year}-{month:02d}-{day:02d}">{day}. {month}. {year}</date>', 1
    if roll < 0.93:
        ident, name = rng.choice(register.treaties)
        return f'<rs type="treaty" ref="#{ident}">{escape(name)}</rs>', 1
    ident, name = rng.choice(register.works)
    return f'<rs type="work" ref="#{ident}">{escape(name)}</rs>', 1


def _decoration(rng: random.Random, number: int) -> str:
    """Editorial markup between mentions, so that spans and notes are exercised too."""
    roll = rng.random()
    if roll < 0.015:
        return "<choice><sic>Brif</sic><corr>Brief</corr></choice> "
    if roll < 0.025:
        return '<hi rend="italic">sehr</hi> '
    if roll < 0.03:
        return "<del>nicht</del> <add>doch</add> "
    if roll < 0.035:
        return f'<note type="commentary" n="{number}">Kommentar {number}: {_words(rng, 6)}.</note> '
    if roll < 0.05:
        return "<lb/>"
    return ""


def make_letter(
    target_bytes: int = 2_000_000,
    mentions: int = 50_000,
    seed: int = 1905,
    *,
    line_breaks: bool = False,
) -> bytes:
    """A TEI letter of about ``target_bytes`` bytes holding exactly ``mentions`` mentions.

    ``line_breaks``: also an ``lb`` about every 70 characters, as a transcription that keeps
    the manuscript's lines has (drawn from a second generator: the rest stays the same).
    """
    rng = random.Random(seed)
    lines = random.Random(seed + 1) if line_breaks else None
    register = _Register(
        rng,
        people=max(10, mentions // 60),
        places=max(5, mentions // 200),
        orgs=max(5, mentions // 200),
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="de">\n'
        "<teiHeader><fileDesc><titleStmt><title>A generated letter for benchmarks</title>"
        "</titleStmt><publicationStmt><p>Generated by tests/bench/make_big_letter.py</p>"
        "</publicationStmt><sourceDesc><p>Pseudo-text, no source.</p></sourceDesc></fileDesc>"
        "<profileDesc><correspDesc>"
        f'<correspAction type="sent"><persName ref="#{register.people[0][0]}">'
        f"{escape(register.people[0][1])}</persName>"
        f'<placeName ref="#{register.places[0][0]}">{escape(register.places[0][1])}</placeName>'
        '<date when="1905-05-01">1. Mai 1905</date></correspAction>'
        f'<correspAction type="received"><persName ref="#{register.people[1][0]}">'
        f"{escape(register.people[1][1])}</persName></correspAction>"
        "</correspDesc></profileDesc></teiHeader>\n"
    )
    standoff = register.xml()
    opening = (
        '<text><body><div type="letter">\n<pb n="1"/>\n'
        '<opener><dateline><placeName ref="#l0">'
        f"{escape(register.places[0][1])}</placeName>, "
        '<date when="1905-05-01">1. Mai 1905</date></dateline>\n'
        f'<salute>Lieber <persName ref="#{register.people[1][0]}">'
        f"{escape(register.people[1][1])}</persName>,</salute></opener>\n"
    )
    closing = "</div></body></text>\n</TEI>\n"
    fixed = len((head + standoff + opening + closing).encode())
    placed = 3  # the opener's mentions count too
    parts: list[str] = []
    size = fixed
    paragraph: list[str] = []
    notes = 0
    page = 1
    while placed < mentions:
        remaining = mentions - placed
        # Spread the remaining bytes over the remaining mentions: a few words of filler each.
        budget = (target_bytes - size) / remaining
        filler_words = max(0, int((budget - 45) / 6))
        piece_parts = []
        if filler_words:
            piece_parts.append(_words(rng, rng.randint(0, 2 * filler_words)) + " ")
        decoration = _decoration(rng, notes + 1)
        if "<note" in decoration:
            notes += 1
        piece_parts.append(decoration)
        # Markup alone takes about 44 bytes a mention; squeeze when the budget is tighter.
        compact = min(1.0, max(0.0, (46 - budget) / 10))
        markup, count = _mention(rng, register, compact)
        if count > remaining:
            markup, count = f'<persName ref="#{register.people[2][0]}">X</persName>', 1
        piece_parts.append(markup)
        piece_parts.append(rng.choice((" ", " ", " ", ", ", ". ")))
        if lines is not None and lines.random() < 0.14:
            piece_parts.append("<lb/>")
        piece = "".join(piece_parts)
        placed += count
        paragraph.append(piece)
        size += len(piece.encode())
        if len(paragraph) >= rng.randint(8, 40):
            parts.append("<p>" + "".join(paragraph).rstrip() + "</p>\n")
            size += 8
            paragraph = []
            if rng.random() < 0.05:
                page += 1
                parts.append(f'<pb n="{page}"/>\n')
                size += 14
    if paragraph:
        parts.append("<p>" + "".join(paragraph).rstrip() + "</p>\n")
    body = "".join(parts)
    return (head + standoff + opening + body + closing).encode("utf-8")


def write_letter(path: Path, target_bytes: int = 2_000_000, mentions: int = 50_000) -> Path:
    path.write_bytes(make_letter(target_bytes, mentions))
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/bench/make_big_letter.py OUT.xml")
    out = write_letter(Path(sys.argv[1]))
    print(f"wrote {out} ({out.stat().st_size} bytes)")

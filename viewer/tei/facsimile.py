"""Which page images a letter points at, and which image regions hold which text.

Owns the reading of every facsimile link a letter can have:

* TEI ``facsimile``: ``graphic/@url`` straight under it (Schnitzler), or
  ``surface`` with its ``graphic`` and ``zone``s (``@ulx/@uly/@lrx/@lry`` or
  ``@points``, nested zones too);
* ``pb/@facs``: a file name, an http(s)/IIIF URL, or a ``#surface`` /
  ``#graphic`` / ``#zone`` pointer; a pointer to nothing is a warning;
* ``@facs="#zone"`` on ``lb``, ``line`` or any element, and ``zone/@corresp``
  pointing at an ``lb`` or any element with an xml:id;
* an edition's own line table beside its letters, the Escher shape
  (``regions/K_0018_mapping.xml``: ``<doc n image width height>`` holding one
  ``<area coords="x1,y1,x2,y2" target="p1-l3">`` per written line). Its traps:
  the first page usually has no ``pb`` (pages come from ``doc/@n``), each page
  starts with a ``type="thumbnail"`` area that is not a line, and boxes
  overlap and are not in reading order (nothing here relies on their order).

Out come :class:`viewer.model.Page` objects in text order, with the image
*name* each page wants in ``facs`` and the size the encoding declares (the
image files themselves are found by :mod:`viewer.images`), and
:class:`viewer.model.Zone` objects: image regions with the stretch of text
they hold, in the declared pixel space of their page. :func:`mention_regions`
gives a mention the regions of the innermost zones it overlaps.

Nothing here opens an image or touches the network; the only file read
besides the letter is a line table in a ``regions/`` folder beside the letter
or beside its folder.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError
from viewer.model import Diagnostic, Page, Region, Zone
from viewer.tei.text import TextResult
from viewer.tei.xml import local, norm_space, parse_bytes, read_bounded, xml_id

LINE_TABLE_FOLDER = "regions"
LINE_TABLE_SUFFIX = "_mapping.xml"
MAX_LINE_TABLE_BYTES = 4 * 1024 * 1024
_PIXELS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def is_remote(reference: str) -> bool:
    """An http(s) URL (IIIF or not): Epistola names it but never fetches it."""
    return reference.lower().startswith(("http://", "https://"))


@dataclass
class _Surface:
    """One image of the encoding: a ``surface`` or a bare ``facsimile/graphic``."""

    id: str
    n: str
    url: str
    width: int | None = None  # declared pixel size of the image
    height: int | None = None
    # Zone coordinates live in the surface's system; this maps them to image pixels.
    origin: tuple[float, float] = (0.0, 0.0)
    scale: tuple[float, float] = (1.0, 1.0)
    graphic_ids: list[str] = field(default_factory=list)


@dataclass
class _RawZone:
    surface: int  # index into the surfaces
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the surface's system
    id: str
    corresp: list[str]


@dataclass
class FacsimileResult:
    pages: list[Page]
    zones: list[Zone]
    diagnostics: list[Diagnostic]


@dataclass
class _TablePage:
    n: str
    image: str
    width: int | None
    height: int | None
    areas: list[tuple[tuple[float, float, float, float], str]]  # box, target


def read_facsimile(root: etree._Element, result: TextResult, file: str) -> FacsimileResult:
    """Pages and linked zones of the letter whose TEI root is ``root`` (see module doc)."""
    diagnostics: list[Diagnostic] = []
    surfaces, zones_raw = _read_surfaces(root)
    by_id: dict[str, tuple[str, int]] = {}  # xml:id -> ("surface"|"zone", index)
    for index, surface in enumerate(surfaces):
        for identifier in (surface.id, *surface.graphic_ids):
            if identifier:
                by_id.setdefault(identifier, ("surface", index))
    for index, zone in enumerate(zones_raw):
        if zone.id:
            by_id.setdefault(zone.id, ("zone", index))
    by_url: dict[str, int] = {}
    for index, surface in enumerate(surfaces):
        if surface.url:
            by_url.setdefault(surface.url, index)
            by_url.setdefault(_base_name(surface.url), index)

    line_ranges = _line_ranges(result)
    element_ranges = {
        linked.id: (linked.start, linked.end) for linked in result.linked if linked.id
    }
    ranges = {**element_ranges, **line_ranges}

    pages: list[Page] = []
    page_surfaces: list[int | None] = []  # for each page, the surface it shows
    if surfaces and not any(raw.facs for raw in result.page_breaks):
        # No pb names an image: the surfaces are the pages, placed at the pbs when
        # they match up one to one (or but for a first page without pb).
        pages, page_surfaces = _pages_from_surfaces(surfaces, zones_raw, result, ranges)
    else:
        for raw in result.page_breaks:
            token = raw.facs.split()[0] if raw.facs else ""
            surface_index = _surface_for(token, by_id, by_url, zones_raw)
            if token.startswith("#") and surface_index is None:
                diagnostics.append(
                    Diagnostic(
                        "warning",
                        "dangling-facs",
                        f"page {raw.n or len(pages) + 1} points at facsimile {token!r}, "
                        "which is not in the letter",
                        None,
                    )
                )
            page_surfaces.append(surface_index)
            if surface_index is not None:
                pages.append(_page_from_surface(surfaces[surface_index], raw.n, raw.offset))
            else:
                pages.append(
                    Page(n=raw.n, facs=token or None, offset=raw.offset, remote=is_remote(token))
                )
    zones = _tei_zones(zones_raw, surfaces, page_surfaces, result, ranges)

    table = find_line_table(file, root)
    if table is not None:
        table_pages, problem = _read_line_table(table)
        if problem:
            diagnostics.append(Diagnostic("warning", "line-table-unreadable", problem, None))
        pages, position, table_zones, missing = _apply_line_table(
            pages, table_pages, ranges, result
        )
        zones = [replace(z, region=replace(z.region, page=position[z.region.page])) for z in zones]
        zones.extend(table_zones)
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            diagnostics.append(
                Diagnostic(
                    "info",
                    "line-table-unlinked",
                    f"{len(missing)} area(s) of {Path(table).name} name no line of the text "
                    f"({shown})",
                    None,
                )
            )
    zones.sort(key=lambda z: (z.start, z.end))
    return FacsimileResult(pages, zones, diagnostics)


def _pages_from_surfaces(
    surfaces: list[_Surface],
    zones: list[_RawZone],
    result: TextResult,
    ranges: dict[str, tuple[int, int]],
) -> tuple[list[Page], list[int | None]]:
    shown: list[int] = []
    urls: set[str] = set()
    for index, surface in enumerate(surfaces):
        if surface.url and surface.url in urls:
            continue  # the same image listed twice is one page
        urls.add(surface.url)
        shown.append(index)
    breaks = result.page_breaks
    if len(breaks) == len(shown):
        offsets = [b.offset for b in breaks]
    elif len(breaks) + 1 == len(shown):
        offsets = [0, *(b.offset for b in breaks)]
    else:
        starts = _zone_starts(zones, result, ranges)
        offsets = [0 if i == 0 else starts.get(index, 0) for i, index in enumerate(shown)]
    labels = [b.n for b in breaks] if len(breaks) == len(shown) else []
    pages = [
        _page_from_surface(surfaces[index], labels[i] if labels else "", offsets[i])
        for i, index in enumerate(shown)
    ]
    pages = [p if p.n else replace(p, n=str(i + 1)) for i, p in enumerate(pages)]
    return pages, list(shown)


def _page_from_surface(surface: _Surface, n: str, offset: int) -> Page:
    return Page(
        n=n or surface.n,
        facs=surface.url or None,
        width=surface.width,
        height=surface.height,
        offset=offset,
        remote=is_remote(surface.url),
    )


def _surface_for(
    token: str,
    by_id: dict[str, tuple[str, int]],
    by_url: dict[str, int],
    zones: list[_RawZone],
) -> int | None:
    if not token:
        return None
    if token.startswith("#"):
        found = by_id.get(token[1:])
        if found is None:
            return None
        kind, index = found
        return index if kind == "surface" else zones[index].surface
    return by_url.get(token, by_url.get(_base_name(token)))


def _base_name(reference: str) -> str:
    return reference.rstrip("/").rsplit("/", 1)[-1]


# ------------------------------------------------------------------ TEI facsimile


def _read_surfaces(root: etree._Element) -> tuple[list[_Surface], list[_RawZone]]:
    surfaces: list[_Surface] = []
    zones: list[_RawZone] = []
    # facsimile is a child of the TEI root, never deep in the text: no walk over it all.
    for facsimile in (child for child in root if local(child) == "facsimile"):
        for child in facsimile:
            name = local(child)
            if name == "graphic":
                url = norm_space(child.get("url"))
                identifier = xml_id(child) or ""
                surfaces.append(
                    _Surface(
                        id=identifier,
                        n=norm_space(child.get("n")),
                        url=url,
                        width=_pixels(child.get("width")),
                        height=_pixels(child.get("height")),
                    )
                )
            elif name == "surface":
                _read_surface(child, surfaces, zones)
            elif name == "surfaceGrp":
                for surface in child.iter("{*}surface"):
                    _read_surface(surface, surfaces, zones)
    return surfaces, zones


def _read_surface(element: etree._Element, surfaces: list[_Surface], zones: list[_RawZone]) -> None:
    graphic = next((g for g in element.iter("{*}graphic") if g.getparent() is element), None)
    if graphic is None:
        graphic = next(
            (g for g in element.iter("{*}graphic") if local(g.getparent()) != "zone"), None
        )
    extent = _box(element)
    width = _pixels(graphic.get("width")) if graphic is not None else None
    height = _pixels(graphic.get("height")) if graphic is not None else None
    origin, scale = (0.0, 0.0), (1.0, 1.0)
    if extent is not None:
        x1, y1, x2, y2 = extent
        origin = (x1, y1)
        if width and height and x2 > x1 and y2 > y1:
            scale = (width / (x2 - x1), height / (y2 - y1))
        elif not width and not height and x2 > x1 and y2 > y1:
            width, height = round(x2 - x1), round(y2 - y1)
    surface = _Surface(
        id=xml_id(element) or "",
        n=norm_space(element.get("n")),
        url=norm_space(graphic.get("url")) if graphic is not None else "",
        width=width,
        height=height,
        origin=origin,
        scale=scale,
        graphic_ids=[xml_id(g) or "" for g in element.iter("{*}graphic")],
    )
    index = len(surfaces)
    surfaces.append(surface)
    for zone in element.iter("{*}zone"):
        box = _box(zone)
        if box is None:
            continue
        zones.append(
            _RawZone(
                surface=index,
                box=box,
                id=xml_id(zone) or "",
                corresp=[t.lstrip("#") for t in (zone.get("corresp") or "").split()],
            )
        )


def _box(element: etree._Element) -> tuple[float, float, float, float] | None:
    """(x1, y1, x2, y2) from @ulx/@uly/@lrx/@lry, else the bounding box of @points."""
    values = [_number(element.get(a)) for a in ("ulx", "uly", "lrx", "lry")]
    if all(v is not None for v in values):
        x1, y1, x2, y2 = values  # type: ignore[misc]
        return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    points = _NUMBER.findall(element.get("points") or "")
    if len(points) >= 4 and len(points) % 2 == 0:
        xs = [float(v) for v in points[0::2]]
        ys = [float(v) for v in points[1::2]]
        return (min(xs), min(ys), max(xs), max(ys))
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # "nan", "1e999": no coordinate


def _pixels(value: str | None) -> int | None:
    """A declared size in pixels ("1200", "1200px"); other units say nothing about pixels."""
    match = _PIXELS.match(value or "")
    if match is None:
        return None
    number = round(float(match.group(1)))
    return number if number > 0 else None


def _zone_starts(
    zones: list[_RawZone], result: TextResult, ranges: dict[str, tuple[int, int]]
) -> dict[int, int]:
    """For each surface, where the first text linked to one of its zones starts."""
    starts: dict[int, int] = {}
    pointed = _facs_pointers(result)
    for zone in zones:
        for start, _end in _zone_text(zone, pointed, ranges):
            if zone.surface not in starts or start < starts[zone.surface]:
                starts[zone.surface] = start
    return starts


def _facs_pointers(result: TextResult) -> dict[str, list[tuple[int, int]]]:
    """zone id -> the stretches of text that point at it with @facs."""
    pointers: dict[str, list[tuple[int, int]]] = {}
    line_ranges = _line_ranges_by_index(result)
    for index, raw in enumerate(result.line_breaks):
        for token in raw.facs.split():
            if token.startswith("#") and index in line_ranges:
                pointers.setdefault(token[1:], []).append(line_ranges[index])
    for linked in result.linked:
        for token in linked.facs.split():
            if token.startswith("#") and linked.start < linked.end:
                pointers.setdefault(token[1:], []).append((linked.start, linked.end))
    return pointers


def _zone_text(
    zone: _RawZone,
    pointed: dict[str, list[tuple[int, int]]],
    ranges: dict[str, tuple[int, int]],
) -> list[tuple[int, int]]:
    found = list(pointed.get(zone.id, ())) if zone.id else []
    found.extend(ranges[target] for target in zone.corresp if target in ranges)
    return found


def _tei_zones(
    zones: list[_RawZone],
    surfaces: list[_Surface],
    page_surfaces: list[int | None],
    result: TextResult,
    ranges: dict[str, tuple[int, int]],
) -> list[Zone]:
    """The zones linked to text, on the first page showing their surface."""
    surface_page: dict[int, int] = {}
    for page, surface in enumerate(page_surfaces):
        if surface is not None:
            surface_page.setdefault(surface, page)
            if surfaces[surface].url:  # the same image under another graphic element
                for other, candidate in enumerate(surfaces):
                    if candidate.url == surfaces[surface].url:
                        surface_page.setdefault(other, page)
    pointed = _facs_pointers(result)
    found: list[Zone] = []
    for zone in zones:
        page = surface_page.get(zone.surface)
        if page is None:
            continue
        surface = surfaces[zone.surface]
        x1, y1, x2, y2 = zone.box
        ox, oy = surface.origin
        sx, sy = surface.scale
        region = _region(page, ((x1 - ox) * sx, (y1 - oy) * sy, (x2 - ox) * sx, (y2 - oy) * sy))
        for start, end in _zone_text(zone, pointed, ranges):
            found.append(Zone(region, start, end, zone.id))
    return found


def _region(page: int, box: Sequence[float]) -> Region:
    x1, y1, x2, y2 = box
    return Region(page, round(x1), round(y1), max(0, round(x2 - x1)), max(0, round(y2 - y1)))


# ------------------------------------------------------------------ lines of the text


def _line_ranges_by_index(result: TextResult) -> dict[int, tuple[int, int]]:
    """For each lb (by position in result.line_breaks), the stretch of its line.

    A line runs from its lb to the next lb, page break or line end, whichever
    comes first; an lb inside a word still starts a line of the page.
    """
    text = result.text
    page_offsets = sorted(b.offset for b in result.page_breaks)
    breaks = result.line_breaks
    ranges: dict[int, tuple[int, int]] = {}
    for index, raw in enumerate(breaks):
        start = raw.offset
        end = breaks[index + 1].offset if index + 1 < len(breaks) else len(text)
        if end < start:  # an lb in a note's text, appended after the letter
            end = len(text)
        newline = text.find("\n", start, end)
        if newline >= 0:
            end = newline
        after = bisect.bisect_right(page_offsets, start)
        if after < len(page_offsets) and page_offsets[after] < end:
            end = page_offsets[after]
        while start < end and text[start] in " \n":
            start += 1
        while end > start and text[end - 1] in " \n":
            end -= 1
        if start < end:
            ranges[index] = (start, end)
    return ranges


def _line_ranges(result: TextResult) -> dict[str, tuple[int, int]]:
    by_index = _line_ranges_by_index(result)
    return {
        result.line_breaks[i].id: span for i, span in by_index.items() if result.line_breaks[i].id
    }


# ------------------------------------------------------------------ line tables


def find_line_table(file: str, root: etree._Element) -> Path | None:
    """The edition's line table for this letter, in ``regions/`` beside it or its folder.

    Named after the letter's xml:id (``K_0018_mapping.xml``) or after a leading
    part of its file name (``K_0018_AE_an_Heer…`` → ``K_0018``).
    """
    if not file:
        return None
    letter = Path(file)
    folders = [
        folder / LINE_TABLE_FOLDER
        for folder in (letter.parent, letter.parent.parent)
        if (folder / LINE_TABLE_FOLDER).is_dir()
    ]
    if not folders:
        return None
    names: list[str] = []
    identifier = xml_id(root)
    if identifier:
        names.append(identifier)
    parts = letter.stem.split("_")
    names.extend("_".join(parts[: i + 1]) for i in range(len(parts) - 1, -1, -1))
    for folder in folders:
        for name in dict.fromkeys(names):
            candidate = folder / f"{name}{LINE_TABLE_SUFFIX}"
            if candidate.is_file():
                return candidate
    return None


def _read_line_table(path: Path) -> tuple[list[_TablePage], str | None]:
    try:
        tree = parse_bytes(read_bounded(path, MAX_LINE_TABLE_BYTES), str(path))
    except EpistolaError as error:
        return [], f"line table {path.name} could not be used: {error}"
    pages: list[_TablePage] = []
    for doc in tree.getroot().iter("doc", "{*}doc"):
        areas: list[tuple[tuple[float, float, float, float], str]] = []
        for area in doc.iter("area", "{*}area"):
            if (area.get("type") or "").strip() == "thumbnail":
                continue  # the whole written area of the page, not a line
            target = norm_space(area.get("target")).lstrip("#")
            numbers = [float(v) for v in _NUMBER.findall(area.get("coords") or "")]
            if not target or len(numbers) < 4:
                continue
            if (area.get("shape") or "rect").strip().lower() in ("poly", "polygon") and len(
                numbers
            ) % 2 == 0:
                xs, ys = numbers[0::2], numbers[1::2]
                box = (min(xs), min(ys), max(xs), max(ys))
            else:
                x1, y1, x2, y2 = numbers[:4]
                box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
            areas.append((box, target))
        pages.append(
            _TablePage(
                n=norm_space(doc.get("n")),
                image=norm_space(doc.get("image")),
                width=_pixels(doc.get("width")),
                height=_pixels(doc.get("height")),
                areas=areas,
            )
        )
    if not pages:
        return [], f"line table {path.name} holds no <doc> page"
    return pages, None


def _apply_line_table(
    pages: list[Page],
    table: list[_TablePage],
    ranges: dict[str, tuple[int, int]],
    result: TextResult,
) -> tuple[list[Page], dict[int, int], list[Zone], list[str]]:
    """Give the table's images to the pages with the same @n; a page without pb is added."""
    pages = list(pages)
    placed: list[tuple[_TablePage, int]] = []  # table page, index into pages
    taken: set[int] = set()
    for entry in table:
        starts = [ranges[t][0] for _box, t in entry.areas if t in ranges]
        first_line = min(starts) if starts else None
        candidates = [
            i
            for i, p in enumerate(pages)
            if i not in taken and not p.facs and entry.n and p.n == entry.n
        ]
        if first_line is not None:
            # The pb with this @n that opens the page holding the table's lines (a
            # letter can number the pages of an enclosure from 1 again).
            before = [i for i in candidates if pages[i].offset <= first_line]
            candidates = before[-1:]
        index = candidates[0] if candidates else None
        page = Page(
            n=entry.n,
            facs=entry.image or None,
            width=entry.width,
            height=entry.height,
            remote=is_remote(entry.image),
        )
        if index is not None:
            pages[index] = replace(page, offset=pages[index].offset)
        else:
            offset = len(result.text) if first_line is None else first_line
            earlier = [p.offset for i, p in enumerate(pages) if i in taken or p.offset < offset]
            if not earlier or offset <= min(earlier):
                offset = 0  # the first page, which has no pb
            pages.append(replace(page, offset=offset))
            index = len(pages) - 1
        taken.add(index)
        placed.append((entry, index))
    order = sorted(range(len(pages)), key=lambda i: pages[i].offset)
    position = {old: new for new, old in enumerate(order)}  # page indices after sorting
    zones: list[Zone] = []
    missing: list[str] = []
    for entry, index in placed:
        for box, target in entry.areas:
            span = ranges.get(target)
            if span is None:
                missing.append(target)
                continue
            zones.append(Zone(_region(position[index], box), span[0], span[1], target))
    return [pages[i] for i in order], position, zones, missing


# ------------------------------------------------------------------ mentions


class _ZoneIndex:
    """Zones sorted by start, to find those overlapping a stretch of text quickly."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones = sorted(zones, key=lambda z: (z.start, z.end))
        self.starts = [z.start for z in self.zones]
        self.longest = max((z.end - z.start for z in self.zones), default=0)

    def regions(self, start: int, end: int) -> tuple[Region, ...]:
        """The regions of the innermost zones whose text overlaps ``start:end``.

        A mention in a line of a paragraph that is itself linked gets the line's box.
        """
        upper = bisect.bisect_left(self.starts, end)
        lower = bisect.bisect_left(self.starts, start - self.longest)
        hits = [z for z in self.zones[lower:upper] if z.end > start and z.start < end]
        if len(hits) > 1:
            hits = [
                z
                for z in hits
                if not any(
                    z.start <= o.start and o.end <= z.end and o.end - o.start < z.end - z.start
                    for o in hits
                )
            ]
        return tuple(dict.fromkeys(zone.region for zone in hits))


def regions_for_mentions(
    zones: Sequence[Zone], spans: Sequence[tuple[int, int]]
) -> list[tuple[Region, ...]]:
    """:func:`mention_regions` for many stretches at once (one index for all)."""
    if not zones:
        return [() for _ in spans]
    index = _ZoneIndex(zones)
    return [index.regions(start, end) for start, end in spans]

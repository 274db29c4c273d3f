"""The one place lxml is configured: a hardened parser and TEI namespace helpers.

Every XML file Epistola reads goes through :func:`parse_file` or
:func:`parse_bytes`. The parser never touches the network, never loads a DTD
or an external entity, never expands entities at all (so billion-laughs and
quadratic blow-up have nothing to expand), never processes XInclude or XSLT
instructions, and keeps libxml2's default limits on depth (256) and text size
(10 MB per node). Files are size-checked before they are read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
NS = {"tei": TEI_NS}

MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any real letter, far below trouble

_WHITESPACE = re.compile(r"\s+")


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        recover=False,
        collect_ids=False,
    )


# libxml2 parsers keep per-parse state; one per thread is the safe sharing rule.
_parsers: dict[int, etree.XMLParser] = {}


def _parser() -> etree.XMLParser:
    import threading

    key = threading.get_ident()
    parser = _parsers.get(key)
    if parser is None:
        parser = _parsers[key] = _make_parser()
    return parser


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file's bytes, refusing folders, devices and files over ``limit``."""
    file = str(path)
    try:
        with open(file, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not _is_regular(info.st_mode):
                raise EpistolaError("is not a regular file", file)
            if info.st_size > limit:
                raise EpistolaError(
                    f"is too large to open ({info.st_size / 1e6:.1f} MB; the limit is "
                    f"{limit / 1e6:.0f} MB)",
                    file,
                )
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise EpistolaError("no such file", file) from None
    except IsADirectoryError:
        raise EpistolaError("is a folder, not a file", file) from None
    except PermissionError:
        raise EpistolaError("permission denied: the file cannot be read", file) from None
    except OSError as error:
        raise EpistolaError(f"cannot be read ({error.strerror or error})", file) from None
    if len(data) > limit:
        raise EpistolaError(f"is too large to open (over {limit / 1e6:.0f} MB)", file)
    return data


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def parse_bytes(data: bytes, file: str = "") -> etree._ElementTree:
    """Parse XML bytes with the hardened parser; errors become EpistolaError."""
    if not data.strip():
        raise EpistolaError("is empty", file)
    if b"\x00" in data[:4096] and not _looks_utf16(data):
        raise EpistolaError("is not XML (it looks like a binary file)", file)
    try:
        root = etree.fromstring(data, _parser(), base_url=None)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        message = _friendly_syntax_message(error.msg or str(error))
        raise EpistolaError(f"is not well-formed XML: {message}", file, line, column) from None
    except (ValueError, LookupError) as error:
        raise EpistolaError(f"cannot be decoded: {error}", file) from None
    return root.getroottree()


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"<\x00?\x00", b"\x00<\x00?")


def _friendly_syntax_message(message: str) -> str:
    message = re.sub(r",? line \d+, column \d+$", "", message).strip()
    if "Excessive depth" in message:
        return "elements are nested too deeply (over 256 levels)"
    if "xmlSAX2Characters: huge text node" in message or "huge text node" in message:
        return "a text node is too large (over 10 MB)"
    if "Unsupported encoding" in message:
        return message.replace("Unsupported encoding", "unsupported encoding")
    return message


def parse_file(path: str | os.PathLike[str]) -> etree._ElementTree:
    return parse_bytes(read_bounded(path), str(path))


def local(element: etree._Element) -> str | None:
    """The local name of a TEI (or namespace-less) element; None for comments, PIs, foreign."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return name if namespace == TEI_NS else None
    return tag


def is_tei_root(root: etree._Element) -> bool:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag.startswith("{"):
        return tag in (f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus")
    return tag in ("TEI", "TEI.2", "teiCorpus")  # P4 and namespace-less files


def children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in element if local(child) in names]


def first(element: etree._Element | None, *names: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if local(child) in names:
            return child
    return None


def descendants(element: etree._Element, *names: str) -> list[etree._Element]:
    wanted = set(names)
    return [el for el in element.iter() if local(el) in wanted]


def find_path(element: etree._Element | None, *steps: str) -> etree._Element | None:
    """Follow child steps by local name (namespace-agnostic): find_path(root, 'teiHeader', ...)."""
    current = element
    for step in steps:
        current = first(current, step)
        if current is None:
            return None
    return current


def xml_id(element: etree._Element) -> str | None:
    value = element.get(XML_ID) or element.get("id")
    return value.strip() if value else None


def norm_space(text: str | None) -> str:
    return _WHITESPACE.sub(" ", text or "").strip()


def plain_text(element: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """Whitespace-normalised text content, skipping subtrees with local names in ``skip``.

    ``lb`` counts as a space unless it says break="no"; ``choice`` takes its
    normalised side (corr, reg, expan) so register names read naturally.
    """
    parts: list[str] = []
    _collect(element, parts, skip)
    return norm_space("".join(parts))


_CHOICE_PREFERENCE = ("corr", "reg", "expan", "sic", "orig", "abbr")


def _collect(element: etree._Element, parts: list[str], skip: frozenset[str]) -> None:
    name = local(element)
    if name in skip:
        return
    if name == "lb":
        if element.get("break") != "no":
            parts.append(" ")
        return
    if name == "choice":
        options = {local(child): child for child in element}
        for preferred in _CHOICE_PREFERENCE:
            if preferred in options:
                _collect(options[preferred], parts, skip)
                return
    if isinstance(element.tag, str) and element.text:
        parts.append(element.text)
    for child in element:
        _collect(child, parts, skip)
        if child.tail:
            parts.append(child.tail)


def source_path(path: str | os.PathLike[str]) -> str:
    return str(Path(path))

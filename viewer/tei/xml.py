"""The one place lxml is configured: a hardened parser and TEI namespace helpers.

Every XML file Epistola reads goes through :func:`parse_file` or
:func:`parse_bytes`, and every file's bytes through :func:`read_bounded`.

What the parser guarantees, and why each setting is there:

- It reads no file but the one handed to it and never touches the network.
  ``load_dtd=False`` and ``no_network=True`` are not enough on their own: with
  ``collect_ids=False`` (needed so that a duplicate ``xml:id`` is a diagnostic,
  not a fatal error) lxml sets a ``loadsubset`` flag that libxml2 2.14 reads as
  "load the external DTD", and external parameter entities follow it. So every
  parser carries :class:`_RefuseExternal`, a resolver that answers every
  request for an external resource (DTD, entity, anything) with an empty
  document before libxml2's own loader can open a file, a pipe or a socket.
- It never expands entities (``resolve_entities=False``): a reference stays in
  the tree as ``&name;``; libxml2's amplification limit refuses billion-laughs
  and quadratic blow-up outright.
- It never processes XInclude (nothing here calls ``xinclude()``) or
  ``xml-stylesheet`` instructions (processing instructions are dropped).
- libxml2's default limits stay on (``huge_tree=False``): 256 levels of
  nesting, 10 MB per text node or attribute value; the file itself must be a
  regular file under :data:`MAX_FILE_BYTES`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
NS = {"tei": TEI_NS}

MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any real letter, far below trouble
_MB = 1 << 20
MAX_DEPTH = 256  # libxml2's own limit without XML_PARSE_HUGE; the message quotes it

_WHITESPACE = re.compile(r"\s+")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


class _RefuseExternal(etree.Resolver):
    """Answers every external resource request with nothing, so none is ever opened."""

    def resolve(self, system_url, public_id, context):
        return self.resolve_string("", context)


def _make_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
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
    parser.resolvers.add(_RefuseExternal())
    return parser


# libxml2 parsers keep per-parse state: one per thread is the safe sharing rule.
_local = threading.local()


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _make_parser()
    return parser


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_kind(mode: int, file: str) -> EpistolaError:
    kind = _kind_of(mode)
    if kind == "a folder":
        return EpistolaError("is a folder, not a file", file)
    return EpistolaError(f"is not a regular file (it is {kind}): only files can be read", file)


def _too_large(size: int, limit: int, file: str) -> EpistolaError:
    return EpistolaError(
        f"is too large to open ({size / _MB:.1f} MB; the limit is {limit / _MB:.0f} MB)", file
    )


def _os_error(error: OSError, file: str) -> EpistolaError:
    code = error.errno
    if code == errno.ENOENT:
        return EpistolaError("no such file", file)
    if code == errno.ENOTDIR:
        return EpistolaError("no such file (a part of its path is not a folder)", file)
    if code == errno.EISDIR:
        return EpistolaError("is a folder, not a file", file)
    if code in (errno.EACCES, errno.EPERM):
        return EpistolaError("permission denied: the file cannot be read", file)
    if code == errno.ELOOP:
        return EpistolaError("cannot be read (its path is a loop of symbolic links)", file)
    if code == errno.ENAMETOOLONG:
        return EpistolaError("cannot be read (the file name is too long)", file)
    return EpistolaError(f"cannot be read ({error.strerror or error})", file)


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a regular file's bytes, refusing folders, pipes, devices and files over ``limit``.

    The kind of file is checked before it is opened: opening a named pipe for
    reading blocks until someone writes to it, and a device like /dev/zero
    never ends. The open itself is non-blocking and checked again, in case the
    path was swapped for something else in between.
    """
    return _read_regular(path, limit, refuse_larger=True)


def read_head(path: str | os.PathLike[str], size: int) -> bytes:
    """The first ``size`` bytes of a regular file (for sniffing), with read_bounded's checks."""
    return _read_regular(path, size, refuse_larger=False)


def _read_regular(path: str | os.PathLike[str], limit: int, refuse_larger: bool) -> bytes:
    file = str(path)
    try:
        before = os.stat(file)
    except OSError as error:
        raise _os_error(error, file) from None
    except ValueError:  # a NUL byte in the path
        raise EpistolaError("cannot be read (the file name is not valid)", file) from None
    if not stat.S_ISREG(before.st_mode):
        raise _refuse_kind(before.st_mode, file)
    if refuse_larger and before.st_size > limit:
        raise _too_large(before.st_size, limit, file)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(file, flags)
    except OSError as error:
        raise _os_error(error, file) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse_kind(info.st_mode, file)
        if refuse_larger and info.st_size > limit:
            raise _too_large(info.st_size, limit, file)
        chunks: list[bytes] = []
        remaining = limit + 1 if refuse_larger else limit
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise _os_error(error, file) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if refuse_larger and len(data) > limit:  # the file grew while it was read
        raise EpistolaError(f"is too large to open (over {limit / _MB:.0f} MB)", file)
    return data


def parse_bytes(data: bytes, file: str = "") -> etree._ElementTree:
    """Parse XML bytes with the hardened parser; every failure becomes EpistolaError."""
    if not data.strip():
        raise EpistolaError("is empty", file)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(len(data), MAX_FILE_BYTES, file)
    if b"\x00" in data[:4096] and not _looks_utf16(data):
        raise EpistolaError("is not XML (it looks like a binary file)", file)
    try:
        root = etree.fromstring(data, _parser(), base_url=None)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        message = _friendly_syntax_message(error.msg or str(error), data)
        if message.startswith("is not well-formed XML: ") and _truncated(
            message, data, line, column
        ):
            message = "is not well-formed XML: it ends too early (is it cut short?)"
        raise EpistolaError(message, file, line, column) from None
    except (ValueError, LookupError, etree.LxmlError) as error:
        raise EpistolaError(f"cannot be decoded: {error}", file) from None
    except MemoryError:
        raise EpistolaError("is too large to parse with the memory available", file) from None
    return root.getroottree()


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:2] in (b"<\x00", b"\x00<")


def _truncated(message: str, data: bytes, line: int | None, column: int | None) -> bool:
    """Whether the file looks cut short: libxml2 ran out of data inside the document."""
    if "Premature end of data" in message:
        return True
    if line is None or column is None or _looks_utf16(data):
        return False
    body = data.rstrip()
    if body.endswith(b">") and "find end of Start Tag" not in message:
        return False  # a complete last tag: the error is about something else
    lines = body.split(b"\n")
    if line < len(lines):
        return False
    last = lines[-1].decode("utf-8", "replace")
    return column >= len(last) - 1


def _declared_encoding(data: bytes) -> str | None:
    found = _DECLARED_ENCODING.match(data.lstrip(b"\xef\xbb\xbf")[:200])
    return found.group(1).decode("ascii", "replace") if found else None


def _friendly_syntax_message(message: str, data: bytes = b"") -> str:
    """What went wrong in a person's words (libxml2's, minus option names nobody can act on)."""
    message = re.sub(r",? line \d+, column \d+\s*$", "", message.strip()).strip()
    unsafe = "cannot be opened safely: "
    if "Excessive depth" in message:
        return f"{unsafe}elements are nested too deeply (over {MAX_DEPTH} levels)"
    if "Text node too long" in message or "huge text node" in message:
        return f"{unsafe}a single text node is larger than 10 MB"
    if "Buffer size limit exceeded" in message or "Huge input lookup" in message:
        return f"{unsafe}a single name or attribute value is larger than 10 MB"
    if "amplification" in message or "entity reference loop" in message:
        return (
            f"{unsafe}its entity declarations would expand to an enormous text "
            "(an entity-expansion attack such as 'billion laughs')"
        )
    if "Unsupported encoding" in message:
        name = message.split(":", 1)[1].strip() if ":" in message else "?"
        return f"cannot be decoded: it declares an encoding Epistola does not know ({name!r})"
    declared = _declared_encoding(data) or ""
    if declared.lower().replace("-", "").startswith(("utf16", "utf32", "ucs")) and not (
        _looks_utf16(data)
    ):
        return (
            f"cannot be decoded: it declares {declared}, but its bytes are not in that "
            "encoding (probably UTF-8 or a single-byte encoding)"
        )
    if "Invalid bytes in character encoding" in message:
        if declared:
            return f"cannot be decoded: it has bytes that are not valid {declared} (as declared)"
        return (
            "cannot be decoded: it has bytes that are not valid UTF-8 (it declares no "
            "encoding, so UTF-8 is assumed)"
        )
    if "Start tag expected" in message or "Document is empty" in message:
        return "is not XML: it does not start with an element"
    message = message.replace(", try XML_PARSE_HUGE", "").replace(", use XML_PARSE_HUGE option", "")
    return f"is not well-formed XML: {message.strip()}"


def parse_file(path: str | os.PathLike[str]) -> etree._ElementTree:
    return parse_bytes(read_bounded(path), str(path))


_LOCAL_NAMES: dict[str, str | None] = {}  # tag -> local name; a few hundred tags at most


def local(element: etree._Element) -> str | None:
    """The local name of a TEI (or namespace-less) element; None for comments, PIs, foreign."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        pass
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        result = name if namespace == TEI_NS else None
    else:
        result = tag
    if len(_LOCAL_NAMES) < 4096:  # a hostile file with endless distinct tags stays bounded
        _LOCAL_NAMES[tag] = result
    return result


def tei_tags(*names: str) -> list[str]:
    """The tags ``names`` may have (TEI namespace or none), for lxml's C-level ``iter``."""
    return [tag for name in names for tag in (f"{{{TEI_NS}}}{name}", name)]


def is_tei_root(root: etree._Element) -> bool:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag.startswith("{"):
        return tag in (f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus")
    return tag in ("TEI", "TEI.2", "teiCorpus")  # P4 and namespace-less files


def children(element: etree._Element | None, *names: str) -> list[etree._Element]:
    """Child elements by local name; none for a missing parent (like :func:`first`)."""
    if element is None:
        return []
    return [child for child in element if local(child) in names]


def first(element: etree._Element | None, *names: str) -> etree._Element | None:
    if element is None:
        return None
    for child in element:
        if local(child) in names:
            return child
    return None


def descendants(element: etree._Element | None, *names: str) -> list[etree._Element]:
    """Descendant-or-self elements by local name, in document order (lxml filters in C)."""
    if element is None:
        return []
    return list(element.iter(*tei_tags(*names)))


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

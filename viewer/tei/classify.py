"""Telling letters from register files and from other XML.

:func:`classify` answers "letter", "register" or "other" for a path. It is
meant for indexing folders, where most files are decided by a sniff of the
first 64 KB: a root that is not TEI is "other"; a TEI file with
correspondence markup (``correspDesc``, ``opener``, ``closer``, a
``div type="letter"``...) is a letter. Only TEI files without such markers
are parsed, with the hardened parser, and decided by their structure
(:func:`tree_kind`): text outside entity lists makes a letter; entity lists
and nothing else make a register.
"""

from __future__ import annotations

import codecs
import os
import re
import stat

from lxml import etree

from viewer.errors import EpistolaError
from viewer.tei.registers import ENTRY_KINDS, index_entries
from viewer.tei.xml import TEI_NS, find_path, first, is_tei_root, local, parse_file, xml_id

LETTER = "letter"
REGISTER = "register"
OTHER = "other"

SNIFF_BYTES = 64 * 1024

_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)([^>]*)>", re.S)
_ROOT_NAME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.S)
_LETTER_MARKUP = re.compile(
    rb"<(?:[\w.-]+:)?(?:correspDesc|correspAction|opener|closer|salute|dateline)[\s/>]"
    rb"|<(?:[\w.-]+:)?div\b[^>]*\btype\s*=\s*[\"']letter[\"']"
)
_TEI_ROOTS = (b"TEI", b"teiCorpus", b"TEI.2")
_XMLNS = re.compile(rb"""\bxmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")

# Lists whose content is register entries, not letter text.
_ENTITY_LISTS = frozenset(
    {"listPerson", "listPlace", "listOrg", "listBibl", "listEvent", "listNym", "listObject",
     "listRelation"}
)  # fmt: skip


def _decode_head(head: bytes) -> bytes:
    """The sniffed bytes as ASCII-compatible bytes (UTF-16 files are re-encoded)."""
    if head.startswith(codecs.BOM_UTF8):
        return head[len(codecs.BOM_UTF8) :]
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore").encode("utf-8", "ignore")
    if head[:4] == b"<\x00?\x00":
        return head.decode("utf-16-le", "ignore").encode("utf-8", "ignore")
    if head[:4] == b"\x00<\x00?":
        return head.decode("utf-16-be", "ignore").encode("utf-8", "ignore")
    return head


def _after_prolog(head: bytes) -> int:
    """Where the root element may start: after the declaration, comments and doctype."""
    position = 0
    while True:
        match = _PROLOG.match(head, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    while head[position : position + 1].isspace():
        position += 1
    return position


def root_name(head: bytes) -> bytes | None:
    """The root element's local name from a file's first bytes; None when none starts there."""
    head = _decode_head(head)
    match = _ROOT_NAME.match(head, _after_prolog(head))
    return match.group(1) if match else None


def broken_reason(path: str | os.PathLike[str]) -> str | None:
    """Why a file that is not a letter cannot be read at all, or None.

    :func:`classify` calls unreadable and malformed files "other"; in a folder
    of letters, an empty or binary ``.xml`` or a malformed TEI file is a bad
    file the user should hear about, while well-formed XML of another kind (an
    image mapping, say) is skipped without a word.
    """
    root = root_name(read_head(path) or b"")
    if root is not None and root not in _TEI_ROOTS:
        return None
    try:
        parse_file(path)
    except EpistolaError as error:
        return error.message
    return None


def sniff(head: bytes) -> str | None:
    """Decide from a file's first bytes: OTHER, LETTER, or None when a parse must decide."""
    head = _decode_head(head)
    position = _after_prolog(head)
    root = _ROOT.match(head, position)
    if root is None:
        # Nothing that starts an element: not XML, or a prolog longer than the sniff.
        return None if len(head) >= SNIFF_BYTES else OTHER
    prefix, _, name = root.group(1).rpartition(b":")
    if name not in _TEI_ROOTS:
        return OTHER
    declared = {p or b"": uri for p, uri in _XMLNS.findall(root.group(2))}
    namespace = declared.get(prefix)
    if prefix and namespace is None:
        return None  # an undeclared prefix: let the parser say what is wrong
    if namespace not in (None, TEI_NS.encode()):
        return OTHER
    if _has_letter_markup(head):
        return LETTER
    return None


def _has_letter_markup(head: bytes) -> bool:
    """Whether ``head`` holds letter markup outside comments (``_LETTER_MARKUP``), fast.

    The regular expression tries every byte up to its match, in editions such
    as Schnitzler's several KB of header before ``correspDesc``. It is tried
    first from the "<" just before the first "correspDesc": a match there, with
    no comment before its end, is a match in the text without comments.
    Otherwise the comments go and the whole head is searched.
    """
    at = head.find(b"correspDesc")
    if at > 0:
        found = _LETTER_MARKUP.search(head, max(head.rfind(b"<", 0, at), 0))
        if found is not None and head.find(b"<!--", 0, found.end()) < 0:
            return True
    if b"<!--" in head:
        head = _COMMENT.sub(b"", head)
    return _LETTER_MARKUP.search(head) is not None


def read_head(path: str | os.PathLike[str], size: int = SNIFF_BYTES) -> bytes | None:
    """The first ``size`` bytes of a regular file; None for anything else or unreadable.

    Opened non-blocking and checked before reading, so that a named pipe or a
    device called ``*.xml`` is refused at once instead of blocking the caller.
    Read with ``os.read`` (no buffered file object: register discovery reads
    the head of every file of a collection).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        head = os.read(descriptor, size)
        if 0 < len(head) < size:  # a short read before the end: read on
            chunks = [head]
            remaining = size - len(head)
            while remaining > 0:
                chunk = os.read(descriptor, remaining)
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            head = b"".join(chunks)
        return head
    except OSError:
        return None
    finally:
        os.close(descriptor)


def sniff_file(path: str | os.PathLike[str]) -> str | None:
    """:func:`sniff` on a file's start; OTHER when it is not a readable regular file."""
    head = read_head(path)
    return OTHER if head is None else sniff(head)


def non_letter_document(root: etree._Element) -> etree._Element | None:
    """The TEI document under ``root`` when it is not a letter (a register candidate).

    None for a letter: correspondence metadata, or text outside entity lists.
    ``root`` itself when it is not TEI at all.
    """
    document = root
    if is_tei_root(root) and local(root) == "teiCorpus":
        document = first(root, "TEI")
        if document is None:
            return root
    if not is_tei_root(document):
        return document
    if find_path(document, "teiHeader", "profileDesc", "correspDesc") is not None:
        return None
    text = first(document, "text")
    if text is not None and _has_letter_text(text):
        return None
    return document


def tree_kind(root: etree._Element) -> tuple[str, int]:
    """(LETTER | REGISTER | OTHER, number of register entries) for a parsed document."""
    if not is_tei_root(root):
        return OTHER, 0
    document = non_letter_document(root)
    if document is None:
        return LETTER, 0
    if not is_tei_root(document):
        return OTHER, 0
    entries = len(index_entries(document, None))
    if entries:
        return REGISTER, entries
    return (LETTER if first(document, "text") is not None else OTHER), 0


def _is_entity_list(element: etree._Element, name: str) -> bool:
    if name in _ENTITY_LISTS:
        return True
    if name == "list":  # items with ids: a taxonomy (topics) or a list of things (artworks)
        return any(xml_id(child) for child in element if local(child) != "head")
    return name in ENTRY_KINDS and name not in ("item", "bibl") and bool(xml_id(element))


def _has_letter_text(element: etree._Element) -> bool:
    """Whether any text sits outside entity lists and headings."""
    if (element.text or "").strip():
        return True
    for child in element:
        name = local(child)
        countable = name is not None and name != "head" and not _is_entity_list(child, name)
        if countable and _has_letter_text(child):
            return True
        if (child.tail or "").strip():
            return True
    return False


def classify(path: str | os.PathLike[str]) -> str:
    """ "letter", "register" or "other" (also for unreadable or malformed files)."""
    sniffed = sniff_file(path)
    if sniffed is not None:
        return sniffed
    try:
        tree = parse_file(path)
    except EpistolaError:
        return OTHER
    return tree_kind(tree.getroot())[0]

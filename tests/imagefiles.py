"""Small image files written byte by byte, so that Qt-free tests can make their own scans.

Each writer makes a file a real decoder accepts (PNG: grey, deflated; TIFF: grey,
uncompressed strip; JPEG: only the headers up to the frame header, enough for
reading the size and nothing more, which is what the Qt-free layer does).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def write_png(path: Path, width: int, height: int, grey: int = 200) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes([grey]) * width
    raw = zlib.compress(row * height, 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )
    return path


def write_tiff(path: Path, width: int, height: int, little: bool = True) -> Path:
    order = "<" if little else ">"
    pixels = bytes([180]) * (width * height)
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 3, 1, height),  # ImageLength, SHORT
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 1),  # black is zero
        (273, 4, 1, 0),  # StripOffsets, filled in below
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    out = (b"II*\x00" if little else b"MM\x00*") + struct.pack(order + "I", ifd_offset)
    out += struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_offset
        if kind == 3:
            out += struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(order + "HHII", tag, kind, count, value)
    out += struct.pack(order + "I", 0) + pixels
    path.write_bytes(out)
    return path


def write_jpeg_header(path: Path, width: int, height: int, exif_bytes: int = 0) -> Path:
    """SOI, an APP0, an optional large APP1 (as cameras write), SOF0, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    app1 = b""
    if exif_bytes:
        app1 = b"\xff\xe1" + struct.pack(">H", exif_bytes + 2) + b"\xff" * exif_bytes
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    path.write_bytes(b"\xff\xd8" + app0 + app1 + sof + b"\xff\xd9")
    return path


def write_webp_header(path: Path, width: int, height: int) -> Path:
    """A RIFF/WEBP file with a VP8X chunk (the extended header carries the canvas size)."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
    return path

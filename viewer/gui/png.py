"""Writing a window's image as a PNG file, for ``--screenshot``.

Owns the PNG encoding of screenshots: 8-bit RGB (or RGBA when the image has an
alpha channel), every row unfiltered, zlib's fastest level, and the image's
resolution in a pHYs chunk, as Qt's own writer records it. For a window's flat
colours that file is no larger than the one QImage.save writes at the same
zlib level, and it is written in about half the time: Qt's writer (libpng)
tries every row filter on every row, which cost a ``--screenshot`` run more
than any other step after the window is painted. The pixels are the same:
a reader (Qt's included) decodes the same colours.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PySide6.QtGui import QImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGB = 2  # PNG colour types
_RGBA = 6
_FASTEST = 1  # zlib level: a window's flat colours compress well even so


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(
    width: int,
    height: int,
    pixels: bytes | memoryview,
    stride: int,
    *,
    alpha: bool = False,
    dots_per_metre: tuple[int, int] | None = None,
) -> bytes:
    """A PNG file of ``height`` rows of ``width`` 8-bit RGB (RGBA with ``alpha``) pixels,
    each row starting ``stride`` bytes after the previous one in ``pixels``."""
    channels = 4 if alpha else 3
    row_bytes = width * channels
    pixels = memoryview(pixels).cast("B")
    if (
        width <= 0
        or height <= 0
        or stride < row_bytes
        or len(pixels) < stride * (height - 1) + row_bytes
    ):
        raise ValueError(f"{width}×{height} pixels do not fit in {len(pixels)} bytes")
    # Row by row, each after its filter type 0 (none): no copy of the whole image.
    compressor = zlib.compressobj(_FASTEST)
    compressed = []
    for top in range(0, stride * height, stride):
        compressed.append(compressor.compress(b"\x00"))
        compressed.append(compressor.compress(pixels[top : top + row_bytes]))
    compressed.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, _RGBA if alpha else _RGB, 0, 0, 0)
    parts = [PNG_SIGNATURE, _chunk(b"IHDR", header)]
    if dots_per_metre is not None and min(dots_per_metre) > 0:
        parts.append(_chunk(b"pHYs", struct.pack(">IIB", *dots_per_metre, 1)))  # 1: metres
    parts += [_chunk(b"IDAT", b"".join(compressed)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def png_of(image: QImage) -> bytes:
    """``image`` (any format) as PNG file bytes: RGBA if it has an alpha channel, else RGB."""
    alpha = image.hasAlphaChannel()
    converted = image.convertToFormat(
        QImage.Format.Format_RGBA8888 if alpha else QImage.Format.Format_RGB888
    )
    return encode_png(
        converted.width(),
        converted.height(),
        converted.constBits(),
        converted.bytesPerLine(),
        alpha=alpha,
        dots_per_metre=(converted.dotsPerMeterX(), converted.dotsPerMeterY()),
    )


def save_png(image: QImage, path: str | Path) -> bool:
    """Write ``image`` to ``path`` as a PNG; False if it is empty or cannot be written."""
    if image.isNull():
        return False
    try:
        data = png_of(image)
        Path(path).write_bytes(data)
    except (OSError, ValueError):
        return False
    return True


__all__ = ["encode_png", "png_of", "save_png"]

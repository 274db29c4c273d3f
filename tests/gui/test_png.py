"""The screenshot's PNG writer: valid files that decode to the pixels they were given."""

from __future__ import annotations

import struct
import zlib

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter

from viewer.gui.png import PNG_SIGNATURE, encode_png, png_of, save_png


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == PNG_SIGNATURE
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        at += 12 + length
    return found


def window_like(format_: QImage.Format, width: int = 97, height: int = 41) -> QImage:
    # Flat areas, text-like detail and every channel varying, as in a window.
    image = QImage(width, height, format_)
    image.fill(QColor(250, 249, 246))
    painter = QPainter(image)
    painter.fillRect(QRect(3, 4, 30, 12), QColor(0xE6, 0x9F, 0x00))
    painter.fillRect(QRect(40, 10, 50, 25), QColor(0x56, 0xB4, 0xE9, 128))
    painter.setPen(QColor(27, 27, 27))
    painter.drawText(QPoint(5, 35), "Ärmel & Bob")
    painter.end()
    for x in range(width):
        image.setPixelColor(x, height - 1, QColor(x % 256, (3 * x) % 256, (7 * x) % 256))
    return image


@pytest.mark.parametrize(
    "format_",
    [QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied,
     QImage.Format.Format_RGB888, QImage.Format.Format_ARGB32],
)  # fmt: skip
def test_qt_reads_back_the_same_pixels(qapp, tmp_path, format_):
    image = window_like(format_)
    path = tmp_path / "shot.png"
    assert save_png(image, path)
    back = QImage(str(path))
    assert not back.isNull()
    assert back.size() == image.size()
    expected = image.convertToFormat(QImage.Format.Format_ARGB32)
    assert back.convertToFormat(QImage.Format.Format_ARGB32) == expected


def test_an_opaque_image_is_rgb_with_its_resolution(qapp):
    image = window_like(QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(3780)
    image.setDotsPerMeterY(3779)
    found = chunks(png_of(image))
    assert [kind for kind, _ in found] == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", found[0][1])
    assert (width, height, depth, colour) == (97, 41, 8, 2)
    assert struct.unpack(">IIB", found[1][1]) == (3780, 3779, 1)


def test_an_image_with_alpha_keeps_it(qapp, tmp_path):
    image = QImage(4, 3, QImage.Format.Format_ARGB32)
    image.fill(QColor(10, 20, 30, 40))
    assert struct.unpack(">IIBBBBB", chunks(png_of(image))[0][1])[3] == 6
    path = tmp_path / "alpha.png"
    assert save_png(image, path)
    assert QImage(str(path)).pixelColor(2, 1) == QColor(10, 20, 30, 40)


def test_rows_are_read_at_their_stride():
    # Two rows of two RGB pixels, each row padded to 8 bytes.
    pixels = bytes([1, 2, 3, 4, 5, 6, 0xEE, 0xEE, 7, 8, 9, 10, 11, 12, 0xEE, 0xEE])
    png = encode_png(2, 2, pixels, 8)
    (idat,) = [body for kind, body in chunks(png) if kind == b"IDAT"]
    assert zlib.decompress(idat) == bytes([0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12])


def test_too_few_bytes_are_refused():
    with pytest.raises(ValueError):
        encode_png(2, 2, bytes(11), 6)


def test_an_unwritable_path_or_an_empty_image_is_a_failure_not_an_exception(qapp, tmp_path):
    image = window_like(QImage.Format.Format_RGB32)
    assert not save_png(image, tmp_path / "no such folder" / "x.png")
    assert not save_png(image, tmp_path)  # a folder
    assert not save_png(QImage(), tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()

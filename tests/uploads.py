"""Small genuine files (and hostile ones) for upload tests, built in memory."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)
#: a tiny DOS header whose e_lfanew points at a PE header: what a Windows program starts with
PE_PROGRAM = b"MZ" + b"\x90" * 58 + struct.pack("<I", 0x40) + b"PE\x00\x00" + b"\x00" * 64


def jpeg(size: tuple[int, int] = (32, 24), colour: str = "teal") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=80)
    return out.getvalue()


def png(size: tuple[int, int] = (32, 24), colour: str = "orange") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (16, 16)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "WEBP")
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def office(folder: str = "word/", parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office package (docx for ``word/``, xlsx for ``xl/``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        main = "word/document.xml" if folder == "word/" else "xl/workbook.xml"
        archive.writestr(main, b"<?xml version='1.0'?><document/>")
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return office("word/")


def xlsx() -> bytes:
    return office("xl/")


def zip_bomb_docx(unpacked: int = 8 * 1024 * 1024) -> bytes:
    """A Word package with one part of ``unpacked`` zero bytes (a few KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", b"<document/>")
        with archive.open("word/media/zeros.bin", "w") as part:
            block = bytes(1024 * 1024)
            left = unpacked
            while left > 0:
                part.write(block[: min(left, len(block))])
                left -= len(block)
    return out.getvalue()


def many_parts_docx(parts: int) -> bytes:
    return office("word/", {f"word/p{i}.xml": b"<p/>" for i in range(parts)})


@functools.cache
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A 1-bit PNG of width × height white pixels, written row by row with zlib (no image in
    memory): 400 megapixels pack into a few hundred KB."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)

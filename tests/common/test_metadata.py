"""Report evidence loses what could name its maker: a photo's place and phone, an Office
file's author; the content stays."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from qinqing.common.metadata import MetadataError, strip_metadata

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, ARTIST = 0x010F, 0x0110, 0x0112, 0x013B


def photo_with_exif(*, orientation: int = 1) -> bytes:
    """A 40 × 20 phone photo taken in 宁波 (GPS), with the phone's make, an artist, a comment."""
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ARTIST] = "Huawei", "Mate 60 SN-123456", "王举报"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (29.0, 52.0, 6.0), 3: "E", 4: (121.0, 33.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken by wang", quality=95)
    return out.getvalue()


def test_a_photo_loses_its_place_phone_and_author_but_keeps_its_picture() -> None:
    raw = photo_with_exif()
    assert b"Huawei" in raw and b"taken by wang" in raw  # what there was to remove
    clean = strip_metadata(raw, ".jpg")
    for secret in (b"Huawei", b"SN-123456", "王举报".encode(), b"taken by wang", b"Exif"):
        assert secret not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "JPEG" and image.size == (40, 20)
        assert not image.getexif() and "comment" not in image.info
        red, green, blue = image.convert("RGB").getpixel((20, 10))
        assert red > 180 and green < 60 and blue < 60


def test_a_sideways_photo_is_turned_upright_before_its_orientation_tag_goes() -> None:
    clean = strip_metadata(photo_with_exif(orientation=6), ".jpeg")  # 6: rotate 90° to view
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (20, 40)


def test_a_png_loses_its_text_chunks_and_keeps_every_pixel() -> None:
    image = Image.new("RGB", (16, 16))
    image.putdata([(x * 16 % 256, x % 256, 7) for x in range(256)])
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "王举报")
    info.add_itxt("Comment", "拍摄于古林镇", lang="zh")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    clean = strip_metadata(out.getvalue(), ".png")
    assert b"Author" not in clean and "拍摄于古林镇".encode() not in clean
    with Image.open(io.BytesIO(clean)) as again:
        assert again.convert("RGB").tobytes() == image.tobytes()


def test_a_workbook_loses_its_author_and_company_and_keeps_its_cells() -> None:
    book = Workbook()
    book.active["A1"] = "验收费用"
    book.active["B1"] = 5000
    book.properties.creator = "王举报"
    book.properties.lastModifiedBy = "王举报"
    out = io.BytesIO()
    book.save(out)
    raw = out.getvalue()
    clean = strip_metadata(raw, ".xlsx")
    with zipfile.ZipFile(io.BytesIO(clean)) as package:
        assert "王举报".encode() not in package.read("docProps/core.xml")
        names = set(package.namelist())
    with zipfile.ZipFile(io.BytesIO(raw)) as original:
        assert names == set(original.namelist())
    again = load_workbook(io.BytesIO(clean))
    assert again.active["A1"].value == "验收费用" and again.active["B1"].value == 5000
    assert again.properties.creator != "王举报"


def test_a_pdf_loses_its_author_and_xmp_and_keeps_its_pages() -> None:
    writer = PdfWriter()
    writer.add_blank_page(300, 200)
    writer.add_blank_page(300, 200)
    writer.add_metadata({"/Author": "王举报", "/Creator": "WPS Office 王举报的电脑"})
    writer.xmp_metadata = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>王举报</dc:creator></x:xmpmeta>'
    ).encode()
    out = io.BytesIO()
    writer.write(out)
    raw = out.getvalue()
    assert PdfReader(io.BytesIO(raw)).metadata["/Author"] == "王举报"
    assert "王举报".encode() in raw  # the XMP, in UTF-8
    clean = strip_metadata(raw, ".pdf")
    again = PdfReader(io.BytesIO(clean))
    assert again.metadata is None or "/Author" not in again.metadata
    assert "/Metadata" not in again.trailer["/Root"]
    assert len(again.pages) == 2
    assert "王举报".encode("utf-16-be") not in clean and "王举报".encode() not in clean


def test_a_pdf_pypdf_cannot_read_is_kept_as_evidence_as_it_came() -> None:
    pdf = b"%PDF-1.4 not really a pdf"
    assert strip_metadata(pdf, ".pdf") == pdf


@pytest.mark.parametrize(
    ("raw", "extension"), [(b"\xff\xd8\xff broken", ".jpg"), (b"PK\x03\x04", ".docx")]
)
def test_a_file_that_cannot_be_read_as_its_kind_is_refused(raw: bytes, extension: str) -> None:
    with pytest.raises(MetadataError):
        strip_metadata(raw, extension)

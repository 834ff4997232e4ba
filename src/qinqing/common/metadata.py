"""Remove what a file says about who made it before a report keeps it.

A phone photo carries EXIF: the place it was taken (GPS), the phone's make and serial, the
moment; a Word or Excel file names its author, the last person to save it and their
company. On a misconduct report any of these can name the reporter, so report evidence is
cleaned on arrival, before it is encrypted:

- **JPEG**: decoded and encoded again (quality 92) after turning it upright by its EXIF
  orientation, with nothing of the original's metadata (EXIF, XMP, comments, IPTC): only the
  colour profile is kept;
- **PNG**: encoded again losslessly with no text, time or EXIF chunks (the colour profile
  is kept);
- **.docx / .xlsx**: the package is rewritten with its document properties
  (``docProps/core.xml``, ``app.xml``, ``custom.xml``) replaced by empty ones; the content
  is untouched. Each part is copied as a stream, 64 KiB at a time, against a running budget
  of ``UPLOAD_MAX_UNCOMPRESSED_BYTES`` unpacked bytes: a part is never held whole in memory,
  and a package that unpacks to more is refused (``MetadataError``), even one that slipped
  past the upload check;
- **PDF**: written again (pypdf) without its document information (author, creator,
  producer, dates), its XMP stream and its earlier revisions (incremental updates). A PDF
  that pypdf cannot read, or that is encrypted, is kept as it is: it is still evidence; the
  upload form says that a PDF's author may not always be removable.

A file that cannot be read as its kind is refused by the caller's content check
(``common.files.inspect``, which also caps an image's pixels and a package's size) before
it gets here; should an image or an Office file still fail to decode, or be too large to
decode, ``MetadataError`` says so and nothing is stored.
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

#: the empty property parts an Office package gets instead of its own
_EMPTY_PARTS = {
    "docProps/core.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        b'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
    ),
    "docProps/app.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'extended-properties"/>'
    ),
    "docProps/custom.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'custom-properties"/>'
    ),
}


class MetadataError(ValueError):
    """The file could not be read as its kind, so it could not be cleaned."""


def strip_metadata(raw: bytes, extension: str) -> bytes:
    """The file's bytes without the metadata that could identify its maker (see above)."""
    extension = extension.lower()
    if extension in (".jpg", ".jpeg"):
        return _image(raw, "JPEG", quality=92, optimize=True)
    if extension == ".png":
        return _image(raw, "PNG", optimize=True)
    if extension in (".docx", ".xlsx"):
        return _office(raw)
    if extension == ".pdf":
        return _pdf(raw)
    return raw


def _image(raw: bytes, fmt: str, **options: object) -> bytes:
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise MetadataError(str(error)) from error
    icc = image.info.get("icc_profile")
    image.info = {}  # Pillow carries comments and other chunks over from ``info``
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, **({"icc_profile": icc} if icc else {}), **options)
    return out.getvalue()


def _pdf(raw: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            return raw
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer.xmp_metadata = None
        # the removed dictionaries would still be written as unreferenced objects
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return raw  # not readable by pypdf: kept as evidence, as it came
    return out.getvalue()


#: a part is copied this many bytes at a time
_CHUNK = 64 * 1024


def _office(raw: bytes) -> bytes:
    budget = int(settings.UPLOAD_MAX_UNCOMPRESSED_BYTES)
    out = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(raw)) as source,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for item in source.infolist():
                info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = item.external_attr
                empty = _EMPTY_PARTS.get(item.filename)
                if empty is not None:
                    target.writestr(info, empty)
                    continue
                with source.open(item) as part, target.open(info, "w") as copy:
                    while chunk := part.read(_CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise MetadataError("the package unpacks to more than the cap")
                        copy.write(chunk)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError) as error:
        raise MetadataError(str(error)) from error
    return out.getvalue()

"""Uploaded and downloaded files, the same way in every app.

``display_name`` cleans the name a browser sent; ``check_upload`` (one file) and
``check_uploads`` (several, all or none) are the one check every entry point runs before it
keeps or reads an upload: the extension names a kind the caller accepts, and the content is
a sound file of that kind by its *structure*, not by its first bytes (see "Upload checks"
below and ``docs/security.md``); ``refuse_several`` refuses a request that sends more files
than an endpoint takes; ``file_download`` sends a stored file (or bytes) back under its
original name, never sniffed by the browser and never cached.

Upload checks
-------------
Every kind:

- no Windows program (an ``MZ`` header whose ``e_lfanew`` points at a ``PE\\0\\0``
  header) and no Linux program (an ELF header) anywhere in the file; no web page or script
  (``<html``, ``<!doctype html``, ``<script``, ``<iframe``, ``<?php``) in an image or a
  PDF; no ZIP end-of-archive record in the last 64 KiB of an image or a PDF (a hidden
  archive), no ``%PDF-`` in the first KiB of an image (a hidden PDF).

Images (JPEG, PNG, WebP): Pillow identifies the file as the kind its extension names (and
no other), its width × height is at most ``UPLOAD_MAX_IMAGE_PIXELS`` before anything is
decoded, ``verify()`` passes and the image decodes completely (a JPEG at an eighth of its
size, which still reads every byte of its compressed data, at 1/64 of the memory). The
image must end where its own structure says (JPEG: the EOI marker of the primary image,
found by walking its segments and compressed data; PNG: the ``IEND`` chunk; WebP: the RIFF
length). After that end only padding, further JPEG frames (the multi-picture format of many
cameras: each checked the same way) or a small camera trailer (at most 64 KiB, holding none
of the signatures above nor a ZIP, PDF, RAR, 7-Zip, CAB or OLE header) may follow: a motion
photo's video or any other appended file is refused.

PDF: ``%PDF-`` at the very first byte, ``startxref`` and the last ``%%EOF`` within the last
KiB, nothing but white space after that ``%%EOF``, and nothing of a web page.

ZIP-based documents (.docx, .xlsx): read through the central directory, never extracted to
disk: the archive starts with a local header (nothing prepended), holds at most
``UPLOAD_MAX_ZIP_ENTRIES`` parts, at most ``UPLOAD_MAX_UNCOMPRESSED_BYTES`` in all once
unpacked, no part over 1 MiB unpacking more than ``UPLOAD_MAX_ZIP_RATIO`` times its packed
size, no encrypted part or compression other than deflate, no absolute, ``..``, backslash
or duplicate part name, no macros (``vbaProject.bin``) and no nested archive or program
(an Office package embedded under ``embeddings/``, e.g. a Word chart's data, is allowed,
and is not opened). Then every part is unpacked once as a stream in 64 KiB pieces against
a running byte budget (CRCs verified, no program inside).

CSV: no NUL byte and no program.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, overload
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import ServiceError


def display_name(raw: str, *, max_length: int = 200) -> str:
    """The name as the user knows it: no folders, no control or direction characters, at most
    ``max_length`` characters with the extension kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if len(name) > max_length:
        stem, ext = os.path.splitext(name)
        name = stem[: max_length - len(ext)] + ext
    return name or _("附件")


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the real name in RFC 5987 ``filename*``."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@overload
def file_download(content: bytes, *, name: str, content_type: str) -> HttpResponse: ...
@overload
def file_download(content: IO[Any], *, name: str, content_type: str) -> FileResponse: ...
def file_download(content: IO[Any] | bytes, *, name: str, content_type: str) -> HttpResponseBase:
    """A download of an open stored file (streamed) or of bytes, under ``name``."""
    response: HttpResponse | FileResponse
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- upload checks -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FileKind:
    """A kind of file an entry point may accept; ``label`` is shown in messages."""

    key: str
    label: str
    content_type: str
    #: image | pdf | ooxml | text
    family: str
    #: Pillow's name of the format, for images
    pillow: str = ""
    #: for Office packages: a folder the archive must hold (word/, xl/)
    folder: str = ""


JPEG = FileKind("jpeg", "JPG", "image/jpeg", "image", pillow="JPEG")
PNG = FileKind("png", "PNG", "image/png", "image", pillow="PNG")
WEBP = FileKind("webp", "WebP", "image/webp", "image", pillow="WEBP")
PDF = FileKind("pdf", "PDF", "application/pdf", "pdf")
DOCX = FileKind(
    "docx",
    "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ooxml",
    folder="word/",
)
XLSX = FileKind(
    "xlsx",
    "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ooxml",
    folder="xl/",
)
CSV = FileKind("csv", "CSV", "text/csv", "text")

#: every extension the checker knows, and its kind
EXTENSIONS: dict[str, FileKind] = {
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
    ".webp": WEBP,
    ".pdf": PDF,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".csv": CSV,
}


def accepting(*kinds: FileKind) -> dict[str, FileKind]:
    """The extensions of ``kinds``, for an entry point's list of what it accepts."""
    return {ext: kind for ext, kind in EXTENSIONS.items() if kind in kinds}


@dataclass(frozen=True)
class UploadLimits:
    """The caps of the structure check (settings ``UPLOAD_*``, environment ``QINQING_UPLOAD_*``)."""

    uncompressed_bytes: int
    zip_entries: int
    zip_ratio: int
    image_pixels: int

    @classmethod
    def from_settings(cls) -> UploadLimits:
        return cls(
            uncompressed_bytes=int(settings.UPLOAD_MAX_UNCOMPRESSED_BYTES),
            zip_entries=int(settings.UPLOAD_MAX_ZIP_ENTRIES),
            zip_ratio=int(settings.UPLOAD_MAX_ZIP_RATIO),
            image_pixels=int(settings.UPLOAD_MAX_IMAGE_PIXELS),
        )


class UploadRefused(ServiceError):
    """An upload that did not pass the check; nothing of the request was kept."""

    code = "upload_refused"


class UploadTooLarge(UploadRefused):
    code = "too_large"
    status = 413


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    #: the name as the user knows it (``display_name``)
    name: str
    #: the extension, lower case, with its dot
    ext: str
    kind: FileKind


class _Refused(Exception):
    """Raised inside the structure check; ``inspect`` names the file and the field."""


#: a piece of a file read at a time, and how much of the previous piece is kept around it
_CHUNK = 64 * 1024
_OVERLAP = 64 * 1024
#: a ZIP part over this size must not unpack more than ``zip_ratio`` times its packed size
_RATIO_FROM_BYTES = 1024 * 1024
#: the most bytes allowed after an image's own end (a camera's trailer)
_MAX_IMAGE_TRAILER = 64 * 1024
#: the end of a PDF: ``%%EOF`` must be in this many last bytes
_PDF_TAIL = 1024

_WEB = re.compile(rb"<(?:html[\s>]|!doctype\s+html|script[\s>/]|iframe[\s>/]|\?php)", re.IGNORECASE)
_ELF = re.compile(rb"\x7fELF[\x01\x02][\x01\x02]\x01")
_MZ = re.compile(rb"MZ")
#: the start of another kind of file, refused after an image's end
_FOREIGN = re.compile(
    rb"PK\x03\x04|PK\x05\x06|PK\x01\x02|%PDF-|Rar!\x1a\x07|7z\xbc\xaf\x27\x1c|MSCF\x00\x00\x00\x00"
    rb"|\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1|\x1f\x8b\x08"
)
_PADDING = b"\x00\xff \t\r\n"
#: part names refused inside an Office package (an archive or a program)
# fmt: off
_ARCHIVE_OR_PROGRAM = (
    ".zip", ".jar", ".war", ".apk", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".cab",
    ".iso", ".exe", ".dll", ".scr", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js",
    ".jse", ".wsf", ".wsh", ".hta", ".msi", ".msp", ".lnk", ".sh", ".elf", ".so", ".dylib",
    ".app",
)
# fmt: on
_OFFICE_EMBEDDED = (".xlsx", ".docx", ".pptx")


def _has_program(data: bytes, *, upto: int | None = None) -> bool:
    """Whether ``data`` holds a Windows (MZ → PE) or Linux (ELF) program header; only MZ
    headers starting before ``upto`` are looked at (the rest come again in the next piece)."""
    if _ELF.search(data):
        return True
    end = len(data) if upto is None else upto
    for match in _MZ.finditer(data, 0, end):
        at = match.start()
        if at + 0x40 > len(data):
            continue
        (offset,) = struct.unpack_from("<I", data, at + 0x3C)
        if offset and data[at + offset : at + offset + 4] == b"PE\x00\x00":
            return True
    return False


def _read_all(stream: IO[bytes]) -> bytes:
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    return data


# images -----------------------------------------------------------------------------------------
def _jpeg_end(data: bytes, start: int) -> int:
    """The offset just after the EOI marker of the JPEG starting at ``start``."""
    if data[start : start + 2] != b"\xff\xd8":
        raise _Refused("kind")
    at = start + 2
    size = len(data)
    while at < size:
        if data[at] != 0xFF:
            raise _Refused("damaged")
        while at < size and data[at] == 0xFF:  # fill bytes
            at += 1
        if at >= size:
            break
        marker = data[at]
        at += 1
        if marker == 0xD9:  # EOI
            return at
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            continue
        if at + 2 > size:
            break
        (length,) = struct.unpack_from(">H", data, at)
        if length < 2:
            raise _Refused("damaged")
        at += length
        if marker == 0xDA:  # SOS: compressed data runs to the next marker that is not RSTn
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= size:
                    raise _Refused("damaged")
                following = data[at + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    at += 1 if following == 0xFF else 2
                    continue
                break
    raise _Refused("damaged")


def _png_end(data: bytes) -> int:
    at = 8
    size = len(data)
    while at + 12 <= size:
        (length,) = struct.unpack_from(">I", data, at)
        chunk = data[at + 4 : at + 8]
        at += 12 + length
        if chunk == b"IEND":
            if at > size:
                break
            return at
    raise _Refused("damaged")


def _webp_end(data: bytes) -> int:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _Refused("kind")
    (length,) = struct.unpack_from("<I", data, 4)
    end = 8 + length + (length & 1)
    if end > len(data):
        raise _Refused("damaged")
    return end


def _check_trailer(data: bytes, end: int) -> None:
    """What follows an image's end: padding, more JPEG frames, or a small harmless trailer."""
    while True:
        rest = data[end:].lstrip(_PADDING)
        if not rest:
            return
        if rest.startswith(b"\xff\xd8\xff"):  # a further frame (multi-picture format)
            end = _jpeg_end(data, len(data) - len(rest))
            continue
        if len(rest) > _MAX_IMAGE_TRAILER or _FOREIGN.search(rest):
            raise _Refused("trailer")
        return


def _inspect_image(stream: IO[bytes], kind: FileKind, limits: UploadLimits) -> None:
    from PIL import Image, UnidentifiedImageError

    failures = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error)
    bombs = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    try:
        stream.seek(0)
        with Image.open(stream, formats=[kind.pillow]) as image:
            # a camera's multi-picture JPEG is opened as MPO: a JPEG with more frames after it
            if image.format not in (kind.pillow, "MPO" if kind.pillow == "JPEG" else None):
                raise _Refused("kind")
            width, height = image.size
            if width * height > limits.image_pixels:
                raise _Refused("pixels")
            image.verify()
        stream.seek(0)
        with Image.open(stream, formats=[kind.pillow]) as image:
            if kind.pillow == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
    except bombs as exc:
        raise _Refused("pixels") from exc
    except UnidentifiedImageError as exc:
        raise _Refused("kind") from exc
    except failures as exc:
        raise _Refused("damaged") from exc
    finally:
        stream.seek(0)
    data = _read_all(stream)
    if kind.pillow == "JPEG":
        end = _jpeg_end(data, 0)
    elif kind.pillow == "PNG":
        end = _png_end(data)
    else:
        end = _webp_end(data)
    _check_trailer(data, end)
    _check_foreign(data)


def _check_foreign(data: bytes) -> None:
    """Programs, web pages, a hidden archive or PDF inside an image or a PDF."""
    if _has_program(data):
        raise _Refused("program")
    if _WEB.search(data):
        raise _Refused("web")
    if b"PK\x05\x06" in data[-(_OVERLAP + 22) :]:
        raise _Refused("trailer")


# PDF --------------------------------------------------------------------------------------------
def _inspect_pdf(stream: IO[bytes]) -> None:
    data = _read_all(stream)
    if not re.match(rb"%PDF-[12]\.\d", data):
        raise _Refused("kind")
    tail = data[-_PDF_TAIL:]
    last = tail.rfind(b"%%EOF")
    if last < 0 or tail[last + 5 :].strip(b"\x00 \t\r\n\x0c"):
        raise _Refused("pdf")
    if b"startxref" not in data[-(_PDF_TAIL + 64) :]:
        raise _Refused("pdf")
    if _has_program(data):
        raise _Refused("program")
    if _WEB.search(data):
        raise _Refused("web")


# ZIP-based documents ----------------------------------------------------------------------------
def _central_directory(stream: IO[bytes]) -> tuple[int, int]:
    """(entries, size) the end-of-central-directory record declares; read before zipfile
    parses the directory, so a file claiming a million parts is refused without building
    them."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    window = min(size, 22 + 0xFFFF)
    stream.seek(size - window)
    tail = stream.read(window)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise _Refused("damaged")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    return entries, directory_size


def _unsafe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or ":" in parts[0]
        or any(p == ".." for p in parts)
    )


def _inspect_ooxml(stream: IO[bytes], kind: FileKind, limits: UploadLimits) -> None:
    stream.seek(0)
    if stream.read(4) != b"PK\x03\x04":
        raise _Refused("kind")
    entries, directory_size = _central_directory(stream)
    # 0xFFFF / 0xFFFFFFFF: a ZIP64 archive, whose real count zipfile reads (checked below)
    if entries != 0xFFFF and entries > limits.zip_entries:
        raise _Refused("entries", {"n": entries})
    if directory_size != 0xFFFFFFFF and directory_size > limits.zip_entries * 1100:
        raise _Refused("entries", {"n": entries})
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            _check_directory(infos, kind, limits)
            _stream_parts(archive, infos, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _Refused("damaged") from exc
    except NotImplementedError as exc:  # a compression method zipfile does not know
        raise _Refused("encrypted") from exc
    finally:
        stream.seek(0)


def _check_directory(
    infos: Sequence[zipfile.ZipInfo], kind: FileKind, limits: UploadLimits
) -> None:
    if len(infos) > limits.zip_entries:
        raise _Refused("entries", {"n": len(infos)})
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _Refused("path", {"entry": next(n for n in names if names.count(n) > 1)})
    if "[Content_Types].xml" not in names or not any(n.startswith(kind.folder) for n in names):
        raise _Refused("kind")
    total = 0
    for info in infos:
        if _unsafe_name(info.filename):
            raise _Refused("path", {"entry": info.filename})
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise _Refused("encrypted")
        lower = info.filename.lower()
        if lower.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml"):
            raise _Refused("macros")
        if lower.endswith(_ARCHIVE_OR_PROGRAM) and not _embedded_office(lower):
            raise _Refused("nested", {"entry": info.filename})
        total += info.file_size
        if total > limits.uncompressed_bytes:
            raise _Refused("uncompressed", {"size": total})
        if info.file_size > _RATIO_FROM_BYTES and info.file_size > limits.zip_ratio * max(
            info.compress_size, 1
        ):
            raise _Refused(
                "ratio",
                {"entry": info.filename, "ratio": info.file_size // max(info.compress_size, 1)},
            )


def _embedded_office(lower_name: str) -> bool:
    return "/embeddings/" in f"/{lower_name}" and lower_name.endswith(_OFFICE_EMBEDDED)


def _stream_parts(
    archive: zipfile.ZipFile, infos: Sequence[zipfile.ZipInfo], limits: UploadLimits
) -> None:
    """Unpack every part once, a piece at a time, against a running byte budget."""
    budget = limits.uncompressed_bytes
    for info in infos:
        if info.is_dir():
            continue
        carry = b""
        first = True
        with archive.open(info) as part:
            while True:
                chunk = part.read(_CHUNK)
                if not chunk:
                    break
                budget -= len(chunk)
                if budget < 0:
                    raise _Refused("uncompressed", {"size": limits.uncompressed_bytes + 1})
                if (
                    first
                    and chunk.startswith(b"PK\x03\x04")
                    and not _embedded_office(info.filename.lower())
                ):
                    raise _Refused("nested", {"entry": info.filename})
                first = False
                window = carry + chunk
                if _has_program(
                    window, upto=len(window) - _OVERLAP if len(chunk) == _CHUNK else None
                ):
                    raise _Refused("program")
                carry = window[-_OVERLAP:]
        if carry and _has_program(carry):
            raise _Refused("program")


# text -------------------------------------------------------------------------------------------
def _inspect_text(stream: IO[bytes]) -> None:
    stream.seek(0)
    carry = b""
    try:
        while chunk := stream.read(_CHUNK):
            if b"\x00" in chunk:
                raise _Refused("text")
            window = carry + chunk
            if _has_program(window):
                raise _Refused("program")
            carry = window[-_OVERLAP:]
    finally:
        stream.seek(0)


# the one check ------------------------------------------------------------------------------------
def _message(reason: str, name: str, kind: FileKind, limits: UploadLimits, **extra: Any) -> str:
    values = {"name": name, "kind": kind.label, **extra}
    if reason == "kind":
        return _("“%(name)s”的内容不是%(kind)s文件（与扩展名不符），未上传。") % values
    if reason == "damaged":
        return _("“%(name)s”不是完整的%(kind)s文件（已损坏或被截断），未上传。") % values
    if reason == "pixels":
        return _(
            "“%(name)s”的像素过多（上限%(limit)d万像素），疑似“图片炸弹”，未上传：请缩小后再上传。"
        ) % {**values, "limit": limits.image_pixels // 10_000}
    if reason == "trailer":
        return (
            _(
                "“%(name)s”在图片结束后还附带了其他数据（可能是隐藏的文件或动态照片的视频），"
                "未上传：请另存为普通图片后再上传。"
            )
            % values
        )
    if reason == "program":
        return _("“%(name)s”中夹带了可执行程序，未上传。") % values
    if reason == "web":
        return _("“%(name)s”中含有网页或脚本代码，未上传。") % values
    if reason == "pdf":
        return _("“%(name)s”不是完整的PDF文件（缺少文件结尾或另有附加内容），未上传。") % values
    if reason == "entries":
        return _("“%(name)s”包含%(n)d个部件，超过了%(limit)d个的上限，未上传。") % {
            **values,
            "limit": limits.zip_entries,
        }
    if reason == "uncompressed":
        return _("“%(name)s”解压后超过%(limit)s（至少%(size)s），疑似“压缩炸弹”，未上传。") % {
            **values,
            "size": filesizeformat(extra["size"]),
            "limit": filesizeformat(limits.uncompressed_bytes),
        }
    if reason == "ratio":
        return (
            _("“%(name)s”中的部件“%(entry)s”压缩比异常（%(ratio)d:1），疑似“压缩炸弹”，未上传。")
            % values
        )
    if reason == "path":
        return _("“%(name)s”中有不安全或重复的部件名（“%(entry)s”），未上传。") % values
    if reason == "encrypted":
        return _("“%(name)s”已加密或使用了不支持的压缩方式，未上传。") % values
    if reason == "macros":
        return _("“%(name)s”中含有宏，未上传：请另存为不含宏的文件。") % values
    if reason == "nested":
        return _("“%(name)s”中夹带了压缩包或程序（“%(entry)s”），未上传。") % values
    return _("“%(name)s”不是文本文件，未上传。") % values


def inspect(
    stream: IO[bytes],
    kind: FileKind,
    *,
    name: str,
    field: str,
    limits: UploadLimits | None = None,
) -> None:
    """Whether ``stream`` is a sound file of ``kind`` by its structure (see the module's
    "Upload checks"); UploadRefused naming the file, for ``field``, if not. The stream is
    left at its start."""
    limits = limits or UploadLimits.from_settings()
    try:
        if kind.family == "image":
            _inspect_image(stream, kind, limits)
        elif kind.family == "pdf":
            _inspect_pdf(stream)
        elif kind.family == "ooxml":
            _inspect_ooxml(stream, kind, limits)
        else:
            _inspect_text(stream)
    except _Refused as refused:
        reason = refused.args[0]
        extra = refused.args[1] if len(refused.args) > 1 else {}
        message = _message(reason, name, kind, limits, **extra)
        raise UploadRefused(message, field_errors={field: [message]}) from refused
    finally:
        stream.seek(0)


def check_upload(
    upload: UploadedFile,
    *,
    accept: Mapping[str, FileKind],
    field: str,
    max_bytes: int,
    name_length: int = 200,
) -> CheckedUpload:
    """One upload: a name, an extension ``accept`` lists, a size within ``max_bytes``, and
    content that passes ``inspect``; UploadRefused (or UploadTooLarge) naming it if not."""
    name = display_name(upload.name or "", max_length=name_length)
    ext = os.path.splitext(name)[1].lower()
    kind = accept.get(ext)
    if kind is None:
        labels = "、".join(dict.fromkeys(k.label for k in accept.values()))
        message = _("“%(name)s”不能上传：只能上传%(kinds)s文件。") % {"name": name, "kinds": labels}
        raise UploadRefused(message, field_errors={field: [message]})
    size = upload.size or 0
    if size == 0:
        message = _("“%(name)s”是空文件，未上传。") % {"name": name}
        raise UploadRefused(message, field_errors={field: [message]})
    if size > max_bytes:
        message = _("“%(name)s”有%(size)s，超过了每个文件%(limit)s的上限。") % {
            "name": name,
            "size": filesizeformat(size),
            "limit": filesizeformat(max_bytes),
        }
        raise UploadTooLarge(message, field_errors={field: [message]})
    inspect(upload, kind, name=name, field=field)
    return CheckedUpload(upload=upload, name=name, ext=ext, kind=kind)


def check_uploads(
    uploads: Iterable[UploadedFile | None],
    *,
    accept: Mapping[str, FileKind],
    field: str,
    max_bytes: int,
    max_files: int | None = None,
    name_length: int = 200,
) -> list[CheckedUpload]:
    """Several uploads, all or none: every file is checked, and one refused file refuses the
    request with one message per refused file, each naming it."""
    files = [u for u in uploads if u]
    if max_files is not None and len(files) > max_files:
        message = _("一次最多上传%(n)d个文件，您选择了%(m)d个，均未上传。") % {
            "n": max_files,
            "m": len(files),
        }
        raise UploadRefused(message, field_errors={field: [message]})
    checked: list[CheckedUpload] = []
    refused: list[UploadRefused] = []
    for upload in files:
        try:
            checked.append(
                check_upload(
                    upload, accept=accept, field=field, max_bytes=max_bytes, name_length=name_length
                )
            )
        except UploadRefused as exc:
            refused.append(exc)
    if refused:
        raise_together(refused, field=field, count=len(files))
    return checked


def together(refused: Sequence[ServiceError], *, field: str, count: int) -> ServiceError:
    """One error for several refused files: each file's message, and (when more than one
    file was sent) that none of them was kept; the error's message is all of them."""
    messages = [m for exc in refused for m in (exc.field_errors.get(field) or [exc.message])]
    if count > 1:
        messages.append(_("有文件未通过检查，本次选择的%(n)d个文件均未上传。") % {"n": count})
    error = type(refused[0]) if len(refused) == 1 else UploadRefused
    # the message alone (a flash message, the API's ``detail``) still names every file
    return error("".join(messages), field_errors={field: messages})


def raise_together(refused: Sequence[ServiceError], *, field: str, count: int) -> None:
    raise together(refused, field=field, count=count)


def refuse_several(files: Any, *, field: str) -> None:
    """An endpoint that takes one file: refuse a request that sends more (under any name)
    rather than keep one of them silently."""
    count = sum(len(files.getlist(key)) for key in files)
    if count > 1:
        message = _("此处一次只能上传1个文件，您发送了%(n)d个，均未上传。") % {"n": count}
        raise UploadRefused(message, field_errors={field: [message]})

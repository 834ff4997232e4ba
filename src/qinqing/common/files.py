"""Uploaded and downloaded files, the same way in every app.

``display_name`` cleans the name a browser sent; ``head_matches`` and ``is_office_archive``
check that a file's first bytes agree with its extension; ``file_download`` sends a stored
file (or bytes) back under its original name, never sniffed by the browser and never cached.
"""

from __future__ import annotations

import os
import zipfile
from typing import IO, Any, overload
from urllib.parse import quote

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _


def display_name(raw: str, *, max_length: int = 200) -> str:
    """The name as the user knows it: no folders, no control or direction characters, at most
    ``max_length`` characters with the extension kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if len(name) > max_length:
        stem, ext = os.path.splitext(name)
        name = stem[: max_length - len(ext)] + ext
    return name or _("附件")


def head_matches(upload: UploadedFile, magic: bytes) -> bool:
    """Whether the file starts with ``magic``; the file is left at its start."""
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    return head == magic


def is_office_archive(upload: UploadedFile, folder: str) -> bool:
    """Whether the file is an Office Open XML archive holding ``folder`` (word/, xl/)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)


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

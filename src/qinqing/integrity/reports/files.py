"""Files on reports: checked like demand attachments (an allowed extension, and content sound
by its structure: ``common.files.inspect``, so no decompression bomb reaches the cleaning),
limited in size and number, cleaned of identifying metadata (``common.metadata``), then
encrypted — name, type and bytes — under the report's data key and kept in the database as
ciphertext (so a backup holds only ciphertext)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from qinqing.common.errors import ServiceError
from qinqing.common.files import UploadRefused, raise_together
from qinqing.common.metadata import MetadataError, strip_metadata
from qinqing.demands.attachments import ACCEPT, check

from . import conf, crypto
from .models import File, Message, Report

if TYPE_CHECKING:
    from .services import OpenedFile

FIELD = "evidence"
__all__ = ["ACCEPT", "check_all", "describe", "open_file", "store"]


def limits_hint() -> str:
    return _(
        "最多 %(n)s 个文件，每个不超过 %(size)s；JPG、PNG、PDF、Word、Excel。"
        "照片的拍摄地点、设备等信息和PDF、Word、Excel的作者信息会自动清除；"
        "加密或损坏的PDF无法清除，如有顾虑请改为拍照上传。"
    ) % {
        "n": conf.get("REPORTS_FILE_MAX_COUNT"),
        "size": filesizeformat(conf.get("REPORTS_FILE_MAX_BYTES")),
    }


def check_all(uploads: Sequence[UploadedFile]) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of every acceptable upload, its identifying metadata
    removed (photos' EXIF and GPS, PDF and Office authors: ``common.metadata``); ServiceError
    otherwise."""
    uploads = [u for u in uploads if u]
    if len(uploads) > conf.get("REPORTS_FILE_MAX_COUNT"):
        message = _("一次最多上传 %(n)s 个文件。") % {"n": conf.get("REPORTS_FILE_MAX_COUNT")}
        raise ServiceError(message, field_errors={FIELD: [message]})
    checked = []
    refused: list[ServiceError] = []
    limit = conf.get("REPORTS_FILE_MAX_BYTES")
    for upload in uploads:
        try:
            checked.append(_checked(upload, limit))
        except ServiceError as exc:
            refused.append(exc)
    if refused:
        raise_together(refused, field=FIELD, count=len(uploads))
    return checked


def _checked(upload: UploadedFile, limit: int) -> tuple[str, str, bytes]:
    if (upload.size or 0) > limit:
        message = _("“%(name)s”超过了每个文件%(limit)s的上限。") % {
            "name": upload.name,
            "limit": filesizeformat(limit),
        }
        raise UploadRefused(message, field_errors={FIELD: [message]})
    name, ext, kind = check(upload, field=FIELD)
    upload.seek(0)
    try:
        raw = strip_metadata(upload.read(), ext)
    except MetadataError as exc:
        message = _("“%(name)s”无法读取，未上传。") % {"name": name}
        raise UploadRefused(message, field_errors={FIELD: [message]}) from exc
    return name, kind.content_type, raw


def store(
    report: Report, message: Message | None, checked: list[tuple[str, str, bytes]], data_key: bytes
) -> None:
    File.objects.bulk_create(
        File(
            report=report,
            message=message,
            header=crypto.encrypt(
                data_key, json.dumps({"name": name, "type": ctype}, ensure_ascii=False).encode()
            ),
            data=crypto.encrypt(data_key, raw),
            size=len(raw),
        )
        for name, ctype, raw in checked
    )


def describe(row: File, data_key: bytes) -> OpenedFile:
    from .services import OpenedFile

    header = json.loads(crypto.decrypt(data_key, bytes(row.header)))
    return OpenedFile(id=row.pk, name=header["name"], content_type=header["type"], size=row.size)


def open_file(row: File, data_key: bytes) -> tuple[str, str, bytes]:
    header = json.loads(crypto.decrypt(data_key, bytes(row.header)))
    return header["name"], header["type"], crypto.decrypt(data_key, bytes(row.data))

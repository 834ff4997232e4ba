"""诉求附件 (attachments): what may be uploaded, by whom, where it is kept and who may read it.

A file is accepted only when its extension names one of the allowed types *and* its content
is a sound file of that type by its structure (``common.files.inspect``: a ``.jpg`` that is
really a program, a picture that would decode to gigapixels or a Word file that unpacks to a
gigabyte is refused). Files are kept through Django's default
storage (``MEDIA_ROOT``, outside the database) under a random name; the original name is kept
only for display. They are read back only through ``attachment_for``, i.e. inside
``demands_visible_to(user)``: for anyone else an attachment simply does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.files import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLSX,
    FileKind,
    UploadRefused,
    UploadTooLarge,
    display_name,
    file_download,
    inspect,
    raise_together,
)

from .models import Assist, Attachment, Demand
from .selectors import demands_visible_to
from .services import _audit, _event, _locked
from .workflow import OPEN_STATES, is_coordinator_of_region, is_member_of_firm

register("demand.attach", gettext_lazy("上传附件"))
register("demand.attachment_download", gettext_lazy("下载附件"))

#: the form field (and API parameter) the messages are attached to
FIELD = "attachments"


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    #: what the content is checked as
    file: FileKind


def _kind(file: FileKind) -> Kind:
    return Kind(file.label, file.content_type, file)


KINDS: dict[str, Kind] = {
    ".jpg": _kind(JPEG),
    ".jpeg": _kind(JPEG),
    ".png": _kind(PNG),
    ".pdf": _kind(PDF),
    ".docx": _kind(DOCX),
    ".xlsx": _kind(XLSX),
}
#: for the file picker's ``accept`` attribute
ACCEPT = ",".join(KINDS)


TooLarge = UploadTooLarge


def limits_hint() -> str:
    """What may be uploaded, in one sentence for the form."""
    return _(
        "可上传JPG、PNG、PDF、Word（.docx）或Excel（.xlsx）文件，每个不超过%(size)s，"
        "一次最多%(n)d个。"
    ) % {
        "size": filesizeformat(settings.DEMAND_ATTACHMENT_MAX_BYTES),
        "n": settings.DEMAND_ATTACHMENT_MAX_FILES,
    }


# --- who -------------------------------------------------------------------------------------
def may_attach(user: Any, demand: Demand) -> bool:
    """The firm, the lead and assisting departments' handlers and the region's coordinators."""
    if is_member_of_firm(user, demand) or is_coordinator_of_region(user, demand):
        return True
    departments = {a.department_id for a in assignments_of(user) if a.role == Role.HANDLER}
    if not departments:
        return False
    if demand.department_id in departments:
        return True
    return Assist.objects.filter(demand_id=demand.pk, department_id__in=departments).exists()


# --- checks ----------------------------------------------------------------------------------
def _refuse(message: str, field: str = FIELD) -> ServiceError:
    return UploadRefused(message, field_errors={field: [message]})


def check(upload: UploadedFile, *, field: str = FIELD) -> tuple[str, str, Kind]:
    """(display name, extension, kind) of an acceptable file; UploadRefused naming it (for
    ``field``) if not."""
    name = display_name(
        upload.name or "", max_length=Attachment._meta.get_field("name").max_length or 200
    )
    ext = os.path.splitext(name)[1].lower()
    kind = KINDS.get(ext)
    if kind is None:
        raise _refuse(
            _("“%(name)s”不能上传：只能上传JPG、PNG、PDF、Word（.docx）或Excel（.xlsx）文件。")
            % {"name": name},
            field,
        )
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("“%(name)s”是空文件，未上传。") % {"name": name}, field)
    limit = settings.DEMAND_ATTACHMENT_MAX_BYTES
    if size > limit:
        message = _("“%(name)s”有%(size)s，超过了每个附件%(limit)s的上限。") % {
            "name": name,
            "size": filesizeformat(size),
            "limit": filesizeformat(limit),
        }
        raise TooLarge(message, field_errors={field: [message]})
    inspect(upload, kind.file, name=name, field=field)
    return name, ext, kind


def check_each(
    uploads: Sequence[UploadedFile], *, field: str = FIELD
) -> list[tuple[UploadedFile, str, str, Kind]]:
    """Every file checked; one refused file refuses them all, with a message for each."""
    checked: list[tuple[UploadedFile, str, str, Kind]] = []
    refused: list[ServiceError] = []
    for upload in uploads:
        try:
            checked.append((upload, *check(upload, field=field)))
        except ServiceError as exc:
            refused.append(exc)
    if refused:
        raise_together(refused, field=field, count=len(uploads))
    return checked


def check_all(
    uploads: Sequence[UploadedFile], *, already: int = 0
) -> list[tuple[UploadedFile, str, str, Kind]]:
    """The count limits (per upload, per case), then every file; nothing is written."""
    per_upload = settings.DEMAND_ATTACHMENT_MAX_FILES
    per_case = settings.DEMAND_ATTACHMENT_MAX_PER_CASE
    if len(uploads) > per_upload:
        raise _refuse(
            _("一次最多上传%(n)d个附件，您选择了%(m)d个。") % {"n": per_upload, "m": len(uploads)}
        )
    if already + len(uploads) > per_case:
        raise _refuse(
            _("每件诉求最多%(n)d个附件，已有%(have)d个，还能上传%(left)d个。")
            % {"n": per_case, "have": already, "left": max(per_case - already, 0)}
        )
    return check_each(uploads)


# --- writes ----------------------------------------------------------------------------------
@transaction.atomic
def attachments_add(
    *, actor: Any, demand_id: int, uploads: Sequence[UploadedFile]
) -> list[Attachment]:
    """Attach files to an open case: all of them, or (on any refusal) none of them."""
    demand = _locked(demand_id, None)
    if not may_attach(actor, demand):
        raise NotPermitted(_("您没有为该诉求上传附件的权限。"))
    if demand.state not in OPEN_STATES:
        raise Conflict(_("该诉求已办结或已撤回，不能再上传附件。"))
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        raise _refuse(_("请选择要上传的文件。"))
    checked = check_all(uploads, already=demand.attachments.count())
    saved: list[Attachment] = []
    try:
        for upload, name, ext, kind in checked:
            attachment = Attachment(
                demand=demand,
                name=name,
                size=upload.size or 0,
                content_type=kind.content_type,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            # a random name in the case's folder: the user's name never reaches the disk
            attachment.file.save(f"{uuid4().hex}{ext}", upload, save=False)
            saved.append(attachment)
            attachment.save()
            _event(
                demand,
                actor=actor,
                action="attach",
                before=demand.state,
                note=_("上传附件：%(name)s") % {"name": name},
            )
            _audit(
                actor,
                "demand.attach",
                demand,
                attachment=attachment.pk,
                name=name,
                size=attachment.size,
                content_type=attachment.content_type,
            )
    except BaseException:
        for attachment in saved:
            attachment.file.delete(save=False)
        raise
    return saved


def attachment_add(*, actor: Any, demand_id: int, upload: UploadedFile) -> Attachment:
    """Attach one file to an open case."""
    return attachments_add(actor=actor, demand_id=demand_id, uploads=[upload])[0]


def attachment_record_download(*, actor: Any, attachment: Attachment) -> None:
    """An access entry when staff download a file (it holds the firm's business information)."""
    demand = attachment.demand
    if actor is None or is_member_of_firm(actor, demand):
        return
    with transaction.atomic():
        record(
            actor=actor,
            action="demand.attachment_download",
            obj=demand,
            role=primary_role(actor),
            changes={"attachment": attachment.pk, "name": attachment.name},
        )


# --- reads -----------------------------------------------------------------------------------
def attachment_for(*, user: Any, attachment_id: int) -> Attachment:
    """Raises Attachment.DoesNotExist for a file of a case outside the reader's scope."""
    visible = demands_visible_to(user).values("pk")
    return Attachment.objects.select_related("demand").get(pk=attachment_id, demand_id__in=visible)


def attachments_of(demand: Demand) -> list[Attachment]:
    """The files of a case the caller has already looked up in the reader's scope."""
    return list(demand.attachments.select_related("uploaded_by").order_by("created_at", "pk"))


# --- serving ---------------------------------------------------------------------------------
def attachment_response(*, actor: Any, attachment: Attachment) -> FileResponse:
    """Stream the stored file as a download under its original name (FileNotFoundError if the
    file has gone from storage); staff downloads leave an access entry."""
    handle = attachment.file.open("rb")
    try:
        attachment_record_download(actor=actor, attachment=attachment)
    except BaseException:
        handle.close()
        raise
    return file_download(handle, name=attachment.name, content_type=attachment.content_type)

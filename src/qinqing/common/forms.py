"""Form helpers shared by every app's views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from .errors import ServiceError


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Put a ServiceError's messages on ``form``: each next to its field, and the summary on
    top unless a field already shows it. The user's input stays in the bound form."""
    shown: set[str] = set()
    for name, messages in (exc.field_errors or {}).items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
                shown.add(str(message))
    if str(exc.message) not in shown:
        form.add_error(None, exc.message)


class OneFileInput(forms.ClearableFileInput):
    """Hands the field every file sent under its name, so that the field can refuse more
    than one (Django's own input silently keeps the last)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        sent = files.getlist(name) if hasattr(files, "getlist") else []
        if len(sent) > 1:
            return sent
        return super().value_from_datadict(data, files, name)


class OneFileField(forms.FileField):
    """A file field that takes one file and refuses a request carrying several."""

    widget = OneFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list):
            raise forms.ValidationError(
                _("此处一次只能上传1个文件，您发送了%(n)d个，均未上传。") % {"n": len(data)},
                code="several_files",
            )
        return super().clean(data, initial)

"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms

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

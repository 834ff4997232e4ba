"""Outbound channels besides the in-app inbox: email (Django's mail backend) and SMS.

SMS is pluggable: ``QINQING_SMS_BACKEND`` names a class with ``send(phone, text)``; the
default writes to the log (the demo and tests), a deployment plugs in its SMS gateway.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger("qinqing.inbox")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LogSmsBackend:
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_email(address: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [address], fail_silently=False)

"""Settings of the reports app, with their defaults (override any in the project settings).

Deadlines are in working days of the Chinese calendar (``qinqing.common.workdays``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    #: working days from receipt to the end of triage, and to a conclusion
    "REPORTS_TRIAGE_DAYS": 5,
    "REPORTS_CONCLUSION_DAYS": 30,
    #: Argon2id cost of password-wrapped supervisor keys and of receipts:
    #: "interactive" (libsodium's interactive limits, 64 MiB), "moderate" (256 MiB) or
    #: "demo" (the minimum; only for the demo and the tests — never in production)
    "REPORTS_KDF_PROFILE": "interactive",
    #: the organisation's recovery public key (hex); the database copy wins when both exist
    "REPORTS_RECOVERY_PUBLIC_KEY": "",
    #: a secret mixed into the receipt look-up hash (defaults to one derived from SECRET_KEY)
    "REPORTS_RECEIPT_PEPPER": "",
    #: proof of work: leading zero bits of SHA-256(challenge ":" nonce); challenge lifetime
    "REPORTS_POW_BITS": 16,
    "REPORTS_POW_TTL_SECONDS": 600,
    #: submissions per hashed client address per window, and the window
    "REPORTS_RATE_LIMIT": 10,
    "REPORTS_RATE_WINDOW_SECONDS": 3600,
    #: wrong receipts: delay base (seconds, doubled per failure), cap, and lock-out count
    "REPORTS_RECEIPT_DELAY_BASE": 0.25,
    "REPORTS_RECEIPT_DELAY_MAX": 8.0,
    "REPORTS_RECEIPT_MAX_FAILURES": 20,
    "REPORTS_RECEIPT_FAILURE_WINDOW_SECONDS": 900,
    #: files: the largest file, files per submission
    "REPORTS_FILE_MAX_BYTES": 5 * 1024 * 1024,
    "REPORTS_FILE_MAX_COUNT": 5,
    #: retaliation watch: months compared before/after the report; flag when the firm's
    #: adverse demand outcomes after reach MIN and at least RATIO times those before
    "REPORTS_RETALIATION_MONTHS": 6,
    "REPORTS_RETALIATION_MIN": 2,
    "REPORTS_RETALIATION_RATIO": 2.0,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])

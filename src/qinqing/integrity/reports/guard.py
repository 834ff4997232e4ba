"""Flood and guessing protection for the public report pages, kept only in the cache.

- The client address is never stored: it is hashed (HMAC-SHA256) with a random secret that
  lives in the cache and is replaced every day; only the hash is used as a cache key, with a
  short expiry. Nothing here writes to the database or the logs.
- Proof of work (hashcash): the server hands out a random challenge (single use, expiring);
  the client finds a nonce so that SHA-256("challenge:nonce") starts with N zero bits.
- Wrong receipts: each failure from a source doubles a delay (capped) and, past a count,
  refuses further tries for the window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from qinqing.common.errors import ServiceError

from . import conf

SECRET_KEY = "reports:guard-secret"
SECRET_SECONDS = 24 * 3600

#: the sleep used for delays; tests replace it to record the delays instead of waiting
sleep = time.sleep


class TooMany(ServiceError):
    code = "too_many"
    status = 429


def source(request: HttpRequest) -> str:
    """An opaque, rotating identifier of the client address (never the address itself)."""
    secret = cache.get(SECRET_KEY)
    if secret is None:
        cache.add(SECRET_KEY, secrets.token_hex(32), SECRET_SECONDS)
        secret = cache.get(SECRET_KEY) or ""
    address = request.META.get("REMOTE_ADDR", "") or ""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def private_headers(response: HttpResponse, referrer: str = "no-referrer") -> HttpResponse:
    """The headers of every report page: nothing cached, nothing leaked in a Referer.

    Staff pages use ``same-origin`` instead: with ``no-referrer`` a browser sends
    ``Origin: null`` on the page's own form posts, which CSRF protection must refuse."""
    response["Cache-Control"] = "no-store, max-age=0"
    response["Pragma"] = "no-cache"
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- rate limit ----------------------------------------------------------------------------
def rate_limit(request: HttpRequest, bucket: str) -> None:
    """Count one submission from this source; raise TooMany past the limit in the window."""
    key = f"reports:rate:{bucket}:{source(request)}"
    window = conf.get("REPORTS_RATE_WINDOW_SECONDS")
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    if count > conf.get("REPORTS_RATE_LIMIT"):
        raise TooMany(_("提交过于频繁，请稍后再试。"))


# --- proof of work -------------------------------------------------------------------------
@dataclass(frozen=True)
class Challenge:
    challenge: str
    bits: int


def challenge() -> Challenge:
    value = secrets.token_hex(16)
    cache.set(f"reports:pow:{value}", 1, conf.get("REPORTS_POW_TTL_SECONDS"))
    return Challenge(value, conf.get("REPORTS_POW_BITS"))


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(value: str, bits: int) -> str:
    """Find a nonce (what the browser's script does); used by API clients and tests."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{value}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def verify(value: str, nonce: str) -> None:
    """Accept a solved challenge once; raise ServiceError otherwise."""
    message = _("安全校验未通过或已过期，请刷新页面后重新提交。")
    value, nonce = (value or "").strip(), (nonce or "").strip()
    if not value or not nonce or len(value) > 64 or len(nonce) > 32:
        raise ServiceError(message, field_errors={"pow": [message]})
    digest = hashlib.sha256(f"{value}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < conf.get("REPORTS_POW_BITS"):
        raise ServiceError(message, field_errors={"pow": [message]})
    if not cache.delete(f"reports:pow:{value}"):
        raise ServiceError(message, field_errors={"pow": [message]})


# --- receipt guessing ----------------------------------------------------------------------
def _failures_key(request: HttpRequest) -> str:
    return f"reports:receipt-failures:{source(request)}"


def before_receipt(request: HttpRequest) -> None:
    """Refuse a source that has failed too often in the window."""
    if (cache.get(_failures_key(request)) or 0) >= conf.get("REPORTS_RECEIPT_MAX_FAILURES"):
        raise TooMany(_("回执码错误次数过多，请稍后再试。"))


def delay_for(failures: int) -> float:
    if failures <= 0:
        return 0.0
    base, cap = conf.get("REPORTS_RECEIPT_DELAY_BASE"), conf.get("REPORTS_RECEIPT_DELAY_MAX")
    return float(min(cap, base * 2 ** (failures - 1)))


def receipt_failed(request: HttpRequest) -> float:
    """Count a wrong receipt from this source and slow the answer down; returns the delay."""
    key = _failures_key(request)
    window = conf.get("REPORTS_RECEIPT_FAILURE_WINDOW_SECONDS")
    cache.add(key, 0, window)
    try:
        failures = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        failures = 1
    delay = delay_for(failures)
    sleep(delay)
    return delay

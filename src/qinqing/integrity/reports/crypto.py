"""The cryptography of reports (design note: shared/design/reports-encryption.md).

All primitives come from libsodium through PyNaCl:

- data keys: 32 random bytes; content, files and identity are encrypted with
  XSalsa20-Poly1305 (``SecretBox``), the nonce stored in front of the ciphertext;
- key pairs (supervisors, recovery): X25519; a data key is *sealed* to a public key with an
  anonymous sealed box (``SealedBox``), which only the private key opens;
- passwords and receipts are stretched with Argon2id (``nacl.pwhash.argon2id``).

Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from django.conf import settings
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from . import conf

KEY_BYTES = SecretBox.KEY_SIZE
SALT_BYTES = argon2id.SALTBYTES
RECEIPT_DIGITS = 16

#: Argon2id cost profiles: (opslimit, memlimit)
PROFILES: dict[str, tuple[int, int]] = {
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "demo": (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN),
}


class CannotOpen(Exception):
    """A key or a ciphertext that the given key does not open."""


@dataclass(frozen=True)
class Cost:
    ops: int
    mem: int

    @classmethod
    def current(cls) -> Cost:
        ops, mem = PROFILES[conf.get("REPORTS_KDF_PROFILE")]
        return cls(ops, mem)


def new_data_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def new_salt() -> bytes:
    return nacl.utils.random(SALT_BYTES)


def derive(secret: str, salt: bytes, cost: Cost) -> bytes:
    """Argon2id(secret, salt) → a 32-byte key."""
    return argon2id.kdf(KEY_BYTES, secret.encode(), salt, opslimit=cost.ops, memlimit=cost.mem)


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    return bytes(SecretBox(key).encrypt(plaintext))


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    try:
        return SecretBox(key).decrypt(bytes(ciphertext))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CannotOpen from exc


def seal(public_key: bytes, data_key: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(data_key))


def unseal(private_key: PrivateKey, sealed: bytes) -> bytes:
    try:
        return SealedBox(private_key).decrypt(bytes(sealed))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CannotOpen from exc


# --- key pairs ------------------------------------------------------------------------------
def new_key_pair() -> tuple[PrivateKey, bytes]:
    private = PrivateKey.generate()
    return private, bytes(private.public_key)


def wrap_private_key(private: PrivateKey, password: str, salt: bytes, cost: Cost) -> bytes:
    return encrypt(derive(password, salt, cost), bytes(private))


def unwrap_private_key(wrapped: bytes, password: str, salt: bytes, cost: Cost) -> PrivateKey:
    return PrivateKey(decrypt(derive(password, salt, cost), wrapped))


def private_key_from_hex(text: str) -> PrivateKey:
    try:
        raw = bytes.fromhex(text.strip().replace(" ", "").replace("-", ""))
        return PrivateKey(raw)
    except (ValueError, TypeError, nacl.exceptions.CryptoError) as exc:
        raise CannotOpen from exc


def format_private_key(private: PrivateKey) -> str:
    """The private key as 16 groups of 4 hex digits, for printing and typing back."""
    raw = bytes(private).hex()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# --- receipts -------------------------------------------------------------------------------
def new_receipt() -> str:
    """16 random decimal digits (about 53 bits), never starting with 0."""
    return str(secrets.randbelow(9 * 10 ** (RECEIPT_DIGITS - 1)) + 10 ** (RECEIPT_DIGITS - 1))


def normalise_receipt(text: str) -> str:
    """Digits only (people type spaces and dashes); '' when it cannot be a receipt."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) == RECEIPT_DIGITS else ""


def format_receipt(receipt: str) -> str:
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def _receipt_salt() -> bytes:
    pepper = conf.get("REPORTS_RECEIPT_PEPPER") or settings.SECRET_KEY
    return hashlib.blake2b(pepper.encode(), digest_size=SALT_BYTES, person=b"qq-receipt").digest()


def receipt_lookup(receipt: str, cost: Cost) -> str:
    """The look-up digest stored for a receipt: Argon2id(receipt, system salt)."""
    return derive(receipt, _receipt_salt(), cost).hex()


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

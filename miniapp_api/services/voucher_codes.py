"""Voucher codes (API.md "Voucher codes"): made, printed, read back, hashed and sealed.

A code is 20 characters from a 31-character alphabet without look-alikes (no 0/O, 1/I/L):
log2(31) × 20 ≈ 99 bits from `secrets`, printed in five groups of four (`ABCD-EFGH-...`).
What a person types is read back ignoring case, spaces and dashes.

The database never holds a code as itself. Two keys are derived from VOUCHER_CODE_KEY, one per
use: `lookup_hash` (HMAC-SHA256) finds a typed code, `seal` (AES-256-GCM, the batch id bound in
as associated data) keeps it for the union's `codes.xlsx`. Without the key, a copy of the
database yields neither. Codes are never logged; nothing here logs at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 20
GROUP = 4
_SPACE = len(ALPHABET) ** CODE_LENGTH
_VALUE = {character: index for index, character in enumerate(ALPHABET)}
_BYTE_TO_CHARACTER = bytes(ord(ALPHABET[byte & 31]) if byte & 31 < 31 else 0 for byte in range(256))
_DROPPED = bytes(byte for byte in range(256) if byte & 31 == 31)
_NONCE_BYTES = 12
MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class CodeKeys:
    """The two keys derived from VOUCHER_CODE_KEY: one to look codes up, one to seal them."""

    lookup: bytes
    sealing: bytes

    @classmethod
    def from_secret(cls, secret: str | bytes) -> CodeKeys:
        raw = secret.encode() if isinstance(secret, str) else secret
        if not raw:
            raise ValueError("VOUCHER_CODE_KEY is not set")

        def derive(purpose: bytes) -> bytes:
            return hmac.new(raw, b"miniapp voucher codes: " + purpose, hashlib.sha256).digest()

        return cls(lookup=derive(b"lookup"), sealing=derive(b"sealing"))


def new_codes(count: int) -> list[str]:
    """`count` distinct fresh codes (unprinted: 20 characters, no dashes).

    Each random byte's low five bits pick a character; the one value past the alphabet is
    dropped, so every character is uniform over the 31 (bytes.translate does it in C: 100,000
    codes take a fraction of a second)."""
    codes: set[str] = set()
    while len(codes) < count:
        missing = count - len(codes)
        raw = secrets.token_bytes(missing * CODE_LENGTH * 33 // 31 + 64)
        text = raw.translate(_BYTE_TO_CHARACTER, _DROPPED).decode("ascii")
        for start in range(0, len(text) - CODE_LENGTH + 1, CODE_LENGTH):
            codes.add(text[start : start + CODE_LENGTH])
            if len(codes) == count:
                break
    return list(codes)


def printed(code: str) -> str:
    """ "ABCDEFGH..." -> "ABCD-EFGH-...": how a code is handed out."""
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def normalized(typed: str) -> str | None:
    """A typed code as stored (upper case, no spaces or dashes), or None when it cannot be a
    code at all. Callers answer None exactly as they answer an unknown code."""
    if not isinstance(typed, str) or len(typed) > 4 * CODE_LENGTH:
        return None
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(character not in _VALUE for character in code):
        return None
    return code


def lookup_hash(keys: CodeKeys, code: str) -> str:
    """The keyed hash a normalised code is found by."""
    return hmac.digest(keys.lookup, code.encode("ascii"), "sha256").hex()


def seal(keys: CodeKeys, codes: list[str], batch_id: int) -> list[bytes]:
    """Each code encrypted for its batch: a fresh nonce followed by ciphertext and tag."""
    cipher, aad = AESGCM(keys.sealing), _aad(batch_id)
    sealed = []
    for code in codes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed.append(nonce + cipher.encrypt(nonce, code.encode("ascii"), aad))
    return sealed


def unseal(keys: CodeKeys, sealed: list[bytes], batch_id: int) -> list[str]:
    """The codes back from `seal` (cryptography's InvalidTag for a wrong key or batch)."""
    cipher, aad = AESGCM(keys.sealing), _aad(batch_id)
    return [
        cipher.decrypt(box[:_NONCE_BYTES], box[_NONCE_BYTES:], aad).decode("ascii")
        for box in sealed
    ]


def _aad(batch_id: int) -> bytes:
    return f"voucher-batch:{batch_id}".encode()

"""Time-based one-time passwords (RFC 6238 over RFC 4226): the second factor at sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

DIGITS = 6
STEP = 30
# Codes one step either side are accepted: phone clocks drift (RFC 6238 section 5.2).
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit secret in base32, as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: HMAC the counter, dynamically truncate, keep `digits` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp(
    key: bytes, at: float, digits: int = DIGITS, digest: str = "sha1", step: int = STEP
) -> str:
    """RFC 6238: the HOTP of the number of `step`-second periods since the Unix epoch."""
    return hotp(key, int(at // step), digits, digest)


def secret_key(secret: str) -> bytes:
    """The key bytes of a base32 secret, padding optional, spaces and case ignored."""
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step `code` is the code of, if it is the current step or one either side.

    The caller remembers the step it accepted and refuses that step and earlier ones
    after, so each code signs in once (RFC 6238 section 5.2).
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key, now = secret_key(secret), time.time() if at is None else at
    found = None
    for drift in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        step = int((now + drift * STEP) // STEP)
        # Every candidate is compared, so the time taken does not say which one matched.
        if hmac.compare_digest(code, hotp(key, step)):
            found = step
    return found


def check(secret: str, code: str, at: float | None = None) -> bool:
    """True if `code` is the current code for `secret`, or one step either side."""
    return matching_step(secret, code, at) is not None


def provisioning_uri(secret: str, user: str, issuer: str = "famgraph") -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{user}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP}"

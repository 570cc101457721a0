"""TOTP (RFC 6238) second factor and recovery codes: the parts without a database.

pyotp computes the codes (30-second steps, six digits, SHA-1: what every authenticator
app reads from an ``otpauth://`` QR code); segno draws the QR code as SVG on the server,
so the page needs no script and no outside site.
"""
from __future__ import annotations

import hashlib
import re
import secrets

import pyotp
import segno

ISSUER = "Zeren"
# A code is accepted one step either side of now: phones' clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Recovery codes: 10 characters of this alphabet (50 bits), shown as xxxxx-xxxxx.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """``text`` as a QR code in an inline ``<svg>`` element (no style attribute: the CSP
    allows no inline style)."""
    return segno.make(text, error="m").svg_inline(scale=5, dark="#000", light="#fff", title="QR")


def matching_step(secret: str, code: str, *, at: float) -> int | None:
    """The time step whose code ``code`` is (within the window around ``at``), or ``None``."""
    code = (code or "").strip().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    step = int(at) // totp.interval
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh recovery codes, as the user writes them down."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    """A typed recovery code without spaces, hyphens or case."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def hash_recovery_code(code: str) -> str:
    """SHA-256 of a normalised code: 50 random bits need no slow hash (nobody can guess
    through 2^50 with the ten tries a lockout leaves), and checking ten codes stays fast."""
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """Whether a typed code has a recovery code's shape (rather than six digits)."""
    return len(normalise_recovery_code(code)) == 10

"""The password rule: what a new password must be, and readable random ones.

A password chosen by a person must

- have at least ``PASSWORD_MIN_LENGTH`` characters (10) and at most 200;
- use at least three of four character classes: lower-case letters, upper-case letters,
  digits, and anything else (punctuation, spaces, Chinese characters …);
- not be one of the most common passwords (compared lower-cased);
- neither be nor contain the user name (ignoring case);
- differ from the user's current password (when changing it);
- contain no control characters (line breaks, NUL …), which no login form can carry.

Every reason that applies is returned at once, so the form shows them all by the field.

The common passwords are ``common-passwords.txt.gz`` beside this module: the 20,000 most
common passwords compiled by Royce Williams
(https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce), lower-cased and
deduplicated (19,640 entries), exactly as Django 5.2 ships it in
``django/contrib/auth/common-passwords.txt.gz`` (BSD licence).  It contains, among others,
``password12``, ``1234567890``, ``aaaaaaaaaa`` and ``1q2w3e4r5t``.
"""
from __future__ import annotations

import gzip
import secrets
import string
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from app.text import has_control_characters

MAX_LENGTH = 200
# A user name shorter than this is not looked for inside the password ("li" would refuse
# half of all passwords); equality is always refused.
USERNAME_SUBSTRING_MIN = 3
REQUIRED_CLASSES = 3
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def common_passwords() -> frozenset[str]:
    """The lower-cased common passwords (read once per process)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def character_classes(password: str) -> set[str]:
    """Which of ``lower``, ``upper``, ``digit``, ``other`` occur in ``password``.

    Letters without case (Chinese characters, for instance) count as ``other``.
    """
    classes = set()
    for ch in password:
        if ch.islower():
            classes.add("lower")
        elif ch.isupper():
            classes.add("upper")
        elif ch.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return classes


def password_problems(password: str | None, username: str | None = None, *,
                      current_hash: str | None = None) -> list[str]:
    """Every reason why ``password`` may not be set (an empty list when it may).

    ``username`` is the account's user name; ``current_hash`` the hash of the password
    being replaced (when the user changes their own).
    """
    password = password or ""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("The password must have at least %(n)d characters.", n=minimum))
    if len(password) > MAX_LENGTH:
        problems.append(_("The password may have at most 200 characters."))
    if has_control_characters(password):
        problems.append(_("The password must not contain line breaks or other control characters."))
    if password and len(character_classes(password)) < REQUIRED_CLASSES:
        problems.append(_("Use at least three of these four: lower-case letters, upper-case letters, "
                          "digits, other characters (punctuation, Chinese characters …)."))
    lowered = password.lower()
    if password and lowered in common_passwords():
        problems.append(_("This is one of the most common passwords; choose another."))
    name = (username or "").strip().lower()
    if name and password and (lowered == name or (len(name) >= USERNAME_SUBSTRING_MIN and name in lowered)):
        problems.append(_("The password must not be or contain the user name."))
    if current_hash and password and len(password) <= MAX_LENGTH and check_password_hash(current_hash, password):
        problems.append(_("The new password must differ from the current one."))
    return problems


# No look-alike characters (I l 1 O 0 o) in passwords read out or written down.
_LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
_UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
_DIGITS = "23456789"


def random_password(length: int = 14) -> str:
    """A readable random password that satisfies the rule (lower, upper and digits)."""
    alphabet = _LOWER + _UPPER + _DIGITS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if {"lower", "upper", "digit"} <= character_classes(candidate):
            return candidate

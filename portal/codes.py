"""One-time codes that people type from paper or from a screen: activation codes on the
activation letters (开通通知书) and password-reset codes issued at a counter.

A code is a public *selector* (found by an index lookup) and a *secret* stored only as a
salted hash, like a password: the database never holds a usable code. Both halves come
from an alphabet without look-alikes (no 0/O, 1/I/L), and what a person types is read
leniently: case, spaces and dashes are ignored.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SELECTOR_LENGTH = 5
SECRET_LENGTH = 10
CODE_LENGTH = SELECTOR_LENGTH + SECRET_LENGTH
GROUP = 5
#: The hasher of code secrets (portal.hashers.CodeHasher, listed in PASSWORD_HASHERS).
HASHER = "pbkdf2_sha256_code"
# A fixed hash to check against when the selector matches nothing, so an unknown code
# costs the same time as a known one with a wrong secret.
_DUMMY_HASH = make_password("0" * SECRET_LENGTH, salt="activation-dummy", hasher=HASHER)


@dataclass(frozen=True)
class IssuedCode:
    """A new code: what to store (``selector``, ``secret_hash``) and what to show once."""

    selector: str
    secret_hash: str
    plain: str

    @property
    def printed(self) -> str:
        """The code as printed and shown: groups of five joined by dashes."""
        return code_format(self.plain)


def random_string(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def code_issue() -> IssuedCode:
    """A fresh code. The caller stores ``selector`` (unique) and ``secret_hash``."""
    selector = random_string(SELECTOR_LENGTH)
    secret = random_string(SECRET_LENGTH)
    return IssuedCode(
        selector=selector,
        secret_hash=make_password(secret, hasher=HASHER),
        plain=selector + secret,
    )


def code_format(plain: str) -> str:
    return "-".join(plain[i : i + GROUP] for i in range(0, len(plain), GROUP))


def code_parse(text: str) -> tuple[str, str] | None:
    """(selector, secret) of a typed code, or None if it cannot be one of ours."""
    cleaned = "".join(ch for ch in str(text).upper() if ch not in " -_\t\r\n.·—")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned[:SELECTOR_LENGTH], cleaned[SELECTOR_LENGTH:]


def secret_matches(secret: str, secret_hash: str | None) -> bool:
    """Whether ``secret`` is the one hashed in ``secret_hash``. With no hash (unknown
    selector) it checks against a dummy and answers False, taking the same time."""
    if secret_hash is None:
        check_password(secret, _DUMMY_HASH)
        return False
    return check_password(secret, secret_hash)

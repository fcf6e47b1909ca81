"""The password policy (NIST SP 800-63B): at least 8 characters and no composition rules, but never a
password attackers try first — one on a list of common passwords, or the account's own login.

The list is Django's (registry/auth/data/README.md says which release and its licence).
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from pathlib import Path

from flask_babel import gettext as _

from registry.errors import DomainError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
# Separators people put inside a phone number they type as a password.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()+_/]")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The common-password list, lower case (read once per process)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _folded(text: str) -> str:
    # Full-width letters and digits are the same password to an attacker's list.
    return unicodedata.normalize("NFKC", text).casefold()


def _contains_login(folded: str, login: str | None) -> bool:
    if not login:
        return False
    if "@" in login:
        local_part = login.split("@", 1)[0]
        # A very short local part ("li@…") would refuse half the dictionary.
        return login in folded or (len(local_part) >= 4 and local_part in folded)
    return login in _PHONE_SEPARATORS.sub("", folded)


def check_password_rules(password: str, login: str | None = None) -> None:
    """Refuse a password that is too short or too long, common, one or two characters repeated, or
    that contains the account's login (`login` is the normalised phone or e-mail, when known)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("密码至少需要 %(count)d 个字符。", count=MIN_PASSWORD_LENGTH), field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_("密码最多 %(count)d 个字符。", count=MAX_PASSWORD_LENGTH), field="password")
    folded = _folded(password)
    if _contains_login(folded, login):
        raise DomainError(_("密码不能包含您的手机号或邮箱，别人很容易猜到。"), field="password")
    if folded.strip() in common_passwords() or len(set(folded)) <= 2:
        raise DomainError(_("这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"), field="password")

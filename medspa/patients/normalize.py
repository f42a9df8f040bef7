"""How names, phones and emails are normalised for storage and search.

Search runs on normalised columns (lowercase ASCII, accents removed; phone digits) with
prefix ranges, so one B-tree index per column answers each keystroke.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_NON_NAME = re.compile(r"[^a-z0-9]+")
# Letters Unicode does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "Þ": "th",
        "\u0131": "i",
        "ð": "d",
        "Ð": "d",
    }
)
# Punctuation inside a name joins its parts: "Anne-Marie", "O'Neill" are one word.
_JOINERS = re.compile("(?<=\\w)['\u2019\\-\u2010](?=\\w)")
PREFIX_END = "\U0010ffff"  # sorts after every normalised character: [p, p + PREFIX_END) is "starts with p"


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation to spaces: 'José-María' -> 'jose maria'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_SPECIAL))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_NAME.sub(" ", ascii_text).strip()


def query_words(text: str) -> list[str]:
    """Words of a typed name: spaces separate, hyphens and apostrophes inside a name do not."""
    return [w for w in fold(_JOINERS.sub("", text or "")).split() if w]


def name_key(text: str) -> str:
    """One searchable key per name field: folded, spaces removed ('de la cruz' -> 'delacruz')."""
    return fold(text).replace(" ", "")


def digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, region: str = "US") -> str:
    """Parse a phone number typed any way into E.164, or raise InvalidPhone."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("Enter a valid phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Enter a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str) -> str:
    """Display format: '(415) 555-0134' for a US number, international for others."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL
    if phonenumbers.region_code_for_number(number) not in ("US", "CA"):
        fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)


def national_digits(e164: str) -> str:
    """Digits a person would type for this number at home (no country code for NANP)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    return str(number.national_number)

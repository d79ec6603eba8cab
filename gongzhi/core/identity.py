"""Resident ID numbers, phone numbers and personal names: normalise, check, derive.

Every check raises `ValidationError` with a message that names the rule broken, in the
user's language; callers attach it to the field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb

from gongzhi.core import clock

MALE = "male"
FEMALE = "female"

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


_SPACES_DASHES = re.compile(r"[\s\-]")


def normalize_digits(value: str) -> str:
    """Full-width digits and letters to ASCII, spaces and dashes removed, x to X."""
    value = unicodedata.normalize("NFKC", value or "")
    return _SPACES_DASHES.sub("", value).upper()


@lru_cache(maxsize=4096)
def division_code_known(code: str) -> bool:
    """Has the code ever been a county-level division? (An ID number keeps the code in use
    when it was first issued, which may be long after birth, so no date check here.)"""
    info = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in info[1:]) if len(info) > 1 else False


# For each of the 17 positions: digit character -> digit × the position's weight.
_ID_TERMS = [{str(d): d * w for d in range(10)} for w in _ID_WEIGHTS]


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 (ASCII) digits."""
    if len(first17) != 17:
        raise ValueError("an ID number's check digit is made from 17 digits")
    try:
        total = sum(map(dict.__getitem__, _ID_TERMS, first17))
    except KeyError:
        raise ValueError("an ID number's first 17 characters are ASCII digits") from None
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str
    division_code: str


def parse_resident_id(
    value: str, *, check_division: bool = True, today: dt.date | None = None
) -> ResidentId:
    """Check an 18-digit resident ID number (GB 11643-1999) and derive what it encodes.

    `today`: the day a birth date may not be after (by default the local date now; a
    caller checking many numbers passes it once)."""
    number = normalize_digits(value)
    if not number:
        raise ValidationError(_("Enter the resident ID number."), code="required")
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(number)},
        )
    if (
        not number.isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."), code="format"
        )
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("The check digit of this resident ID number is wrong; check for a typing error."),
            code="checksum",
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("Digits 7–14 of a resident ID number are the birth date; here they are not a date."),
            code="birth_date",
        ) from None
    if birth > (today or clock.today()) or birth.year < 1880:
        raise ValidationError(
            _(
                "The birth date in this resident ID number is impossible (in the future or "
                "before 1880)."
            ),
            code="birth_date",
        )
    if check_division and not division_code_known(number[:6]):
        raise ValidationError(
            _("The first 6 digits are not a GB/T 2260 division code."),
            code="division",
        )
    gender = MALE if int(number[16]) % 2 == 1 else FEMALE
    return ResidentId(number=number, birth_date=birth, gender=gender, division_code=number[:6])


def normalize_phone(value: str) -> str:
    """A mainland phone number as digits: mobiles as 11 digits, landlines with area code."""
    raw = normalize_digits(value).replace("(", "").replace(")", "")
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    if not re.fullmatch(r"\+?[0-9]+", raw):
        raise ValidationError(
            _("A phone number may contain only digits (and a leading +86)."), code="format"
        )
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a phone number."), code="format") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _(
                "Enter a mainland China number: an 11-digit mobile starting with 1, "
                "or a landline with its area code."
            ),
            code="invalid",
        )
    national = str(parsed.national_number)
    if phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ) and not national.startswith("1"):
        return "0" + national
    return national


_SPACES = re.compile(r"\s+")
_NAME_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z·•．.\- ]+$")
NAME_MAX = 40


def normalize_name(value: str) -> str:
    """A person's name: CJK or Latin letters, the middle dot of minority names, spaces."""
    name = unicodedata.normalize("NFKC", value or "").strip()
    name = _SPACES.sub(" ", name)
    if not name:
        raise ValidationError(_("Enter the name."), code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("A name has at most %(max)d characters; this one has %(count)d."),
            code="max_length",
            params={"max": NAME_MAX, "count": len(name)},
        )
    if not _NAME_RE.match(name):
        raise ValidationError(
            _(
                "A name may contain only Chinese characters, letters, the middle dot (·) "
                "and spaces."
            ),
            code="characters",
        )
    return name


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))

"""Resident sign-in by SMS code, and accounts made from the register on first sign-in.

The code itself (rate limits, expiry, single use, attempts) is `accounts.services`; this
module decides who may receive one and sends it through `notifications`. The answer to a
code request is the same whether or not the number may sign in.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.models import Role, User
from gongzhi.accounts.services import (
    membership_grant,
    sign_in_recorded_by_code,
    sms_code_check,
    sms_code_issue,
    user_create,
    user_for_phone,
    user_link_person,
    user_set_password,
    user_set_phone,
)
from gongzhi.audit.services import audit_record
from gongzhi.notifications.services import sms_send
from gongzhi.registry import rows as register_rows
from gongzhi.registry.models import PRESENT_RESIDENCY, Person
from gongzhi.workorders import reportin
from gongzhi.workorders.models import ReportIn


def self_signup_enabled() -> bool:
    return bool(getattr(settings, "GONGZHI_RESIDENT_SELF_SIGNUP", True))


def register_match(phone: str) -> Person | None:
    """The one present person of the register with this mobile number who has no account
    yet; None when there is none, or several (a shared family phone: ask the grid worker)."""
    matches = list(
        Person.objects.filter(
            phone_index=register_rows.phone_index(phone),
            residency__in=PRESENT_RESIDENCY,
        ).select_related("household__community")[:2]
    )
    if len(matches) != 1:
        return None
    person = matches[0]
    if User.objects.filter(person=person).exists():
        return None
    return person


def may_sign_in_by_code(phone: str) -> bool:
    if user_for_phone(phone) is not None:
        return True
    return self_signup_enabled() and register_match(phone) is not None


def code_minutes() -> int:
    return max(1, int(getattr(settings, "GONGZHI_SMS_CODE_TTL_SECONDS", 300)) // 60)


def code_text(code: str) -> str:
    minutes = code_minutes()
    signature = getattr(settings, "GONGZHI_SMS_SIGNATURE", "【共治】")
    return signature + _(
        "Your sign-in code is %(code)s, valid for %(minutes)d minutes. Never tell it to anyone."
    ) % {"code": code, "minutes": minutes}


@transaction.atomic
def login_code_request(*, phone: str, ip: str = "") -> None:
    """Issue a code for `phone` and text it if the number may sign in. Raises a
    ValidationError for a malformed number or a rate limit, never for an unknown number."""
    _row, code, normalized = sms_code_issue(phone=phone, ip=ip)
    if may_sign_in_by_code(normalized):
        sms_send(
            phone=normalized,
            text=code_text(code),
            kind="auth.sms_code",
            recipient=user_for_phone(normalized),
            sensitive=True,
        )


@transaction.atomic
def resident_account_provision(*, person: Person, phone: str) -> User:
    """An account for a resident whose number is in the register, made at their first
    sign-in by code: a resident of their community, linked to their record."""
    user = user_create(
        username=f"r-{secrets.token_hex(5)}", password=None, display_name=person.name
    )
    user_set_phone(user=user, phone=phone)
    user_link_person(user=user, person=person)
    membership_grant(user=user, area=person.household.community, role=Role.RESIDENT)
    audit_record(
        actor=None,
        action="user.provision",
        obj=user,
        area_path=person.area_path,
        fields=["phone", "person", "membership"],
        purpose="first sign-in by SMS code of a number in the register",
    )
    return user


def sign_in_by_code(*, phone: str, code: str, ip: str = "") -> User:
    """The account that `code` signs in (made from the register on first sign-in), with
    the sign-in audited. A wrong, expired or used code raises ValidationError; so does one
    from an address that guessed wrong too often (`sms_code_check`)."""
    normalized = sms_code_check(phone=phone, code=code, ip=ip)
    with transaction.atomic():
        user = user_for_phone(normalized)
        if user is None and self_signup_enabled():
            person = register_match(normalized)
            if person is not None:
                user = resident_account_provision(person=person, phone=normalized)
        if user is None:
            # The number could not sign in when the code was sent; say no more than that.
            raise ValidationError(
                {"code": [ValidationError(_("This code is wrong."), code="wrong")]}
            )
        sign_in_recorded_by_code(user=user)
    return user


# --- a forgotten password: a code by SMS to the account's own number ----------------------------
#
# Any account with a mobile number (residents, grid workers, staff) sets a new password with
# a code sent to that number, through the same gateway, rate limits and neutral answers as
# sign-in codes; a code for one purpose never serves the other. Without a number (or an SMS
# gateway), a system administrator sets one with `gongzhi changepassword USERNAME`.

RESET_PURPOSE = "reset"


def reset_code_text(code: str) -> str:
    signature = getattr(settings, "GONGZHI_SMS_SIGNATURE", "【共治】")
    return signature + _(
        "Your code to set a new password is %(code)s, valid for %(minutes)d minutes. "
        "If you did not ask for it, ignore this message."
    ) % {"code": code, "minutes": code_minutes()}


@transaction.atomic
def password_reset_code_request(*, phone: str, ip: str = "") -> None:
    """Issue a reset code for `phone` and text it if an account has that number; the same
    answer either way (ValidationError only for a malformed number or a rate limit)."""
    _row, code, normalized = sms_code_issue(phone=phone, ip=ip, purpose=RESET_PURPOSE)
    user = user_for_phone(normalized)
    if user is not None:
        sms_send(
            phone=normalized,
            text=reset_code_text(code),
            kind="auth.password_reset",
            recipient=user,
            sensitive=True,
        )


def password_reset_by_code(*, phone: str, code: str, password: str, ip: str = "") -> User:
    """Spend a reset code and set the account's new password (audited); the account is not
    signed in. A wrong code or a password that breaks a rule raises ValidationError."""
    normalized = sms_code_check(phone=phone, code=code, ip=ip, purpose=RESET_PURPOSE)
    user = user_for_phone(normalized)
    if user is None:
        raise ValidationError({"code": [ValidationError(_("This code is wrong."), code="wrong")]})
    return user_set_password(user=user, password=password, actor=None, action="auth.password_reset")


# --- 双报到 report-in by someone not signed in: a code proves the number ------------------------
#
# Anyone may report in as a party member or volunteer, in the register or not: the code
# request texts every well-formed number (within the same rate limits as sign-in codes),
# and the application is checked before the code is spent, so a mistake in the form does
# not cost the applicant their code.

SIGNUP_PURPOSE = "signup"


def signup_code_text(code: str) -> str:
    signature = getattr(settings, "GONGZHI_SMS_SIGNATURE", "【共治】")
    return signature + _(
        "Your code to report in as a volunteer is %(code)s, valid for %(minutes)d minutes."
    ) % {"code": code, "minutes": code_minutes()}


@transaction.atomic
def signup_code_request(*, phone: str, ip: str = "") -> str:
    """Text a report-in code to `phone`; the normalised number."""
    _row, code, normalized = sms_code_issue(phone=phone, ip=ip, purpose=SIGNUP_PURPOSE)
    sms_send(
        phone=normalized,
        text=signup_code_text(code),
        kind="auth.signup_code",
        recipient=user_for_phone(normalized),
        sensitive=True,
    )
    return normalized


def account_for_verified_phone(phone: str) -> User:
    """The account of a number just proven by a code: the one it signs in, else one made
    from the register (a resident of their household), else a new account with no role."""
    user = user_for_phone(phone)
    if user is not None:
        return user
    person = register_match(phone) if self_signup_enabled() else None
    if person is not None:
        return resident_account_provision(person=person, phone=phone)
    user = user_create(username=f"v-{secrets.token_hex(5)}", password=None)
    user_set_phone(user=user, phone=phone)
    audit_record(
        actor=None,
        action="user.provision",
        obj=user,
        fields=["phone"],
        purpose="report-in by SMS code of a number without an account",
    )
    return user


def reportin_sign_up(
    *, phone: str, code: str, ip: str = "", application: dict[str, Any]
) -> tuple[User, ReportIn]:
    """Check the application, spend the code, and report in as the number's account (made
    if need be); the caller signs the account in. Wrong codes raise like sign-in's."""
    reportin.reportin_check(**application)
    normalized = sms_code_check(phone=phone, code=code, ip=ip, purpose=SIGNUP_PURPOSE)
    with transaction.atomic():
        user = account_for_verified_phone(normalized)
        if not user.is_active:
            raise ValidationError(
                {"code": [ValidationError(_("This code is wrong."), code="wrong")]}
            )
        sign_in_recorded_by_code(user=user)
        report = reportin.reportin_submit(actor=user, **application)
    return user, report

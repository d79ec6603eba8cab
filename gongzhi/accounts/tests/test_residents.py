"""Residents' accounts: mobile number, link to the register, proxies, SMS sign-in codes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from gongzhi.accounts.models import ProxyLink, ProxyRelation, SmsCode
from gongzhi.accounts.selectors import persons_user_may_act_for, proxy_links_for
from gongzhi.accounts.services import (
    proxy_link_create,
    proxy_link_end,
    sms_code_check,
    sms_code_issue,
    user_for_phone,
    user_link_person,
    user_set_phone,
)
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden

PHONE = "13800138000"
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


def _codes(exc: ValidationError, field: str) -> set[str]:
    return {e.code for e in exc.error_dict[field]}


def _at(**delta):
    return clock.freeze(T0 + dt.timedelta(**delta))


# --- phone ---------------------------------------------------------------------------------


def test_a_resident_sets_their_own_mobile_number_stored_encrypted_and_found_by_it(world):
    user_set_phone(user=world.resident, phone="138 0013 8000", actor=world.resident)
    world.resident.refresh_from_db()
    assert str(world.resident.phone) == "138****8000"
    assert world.resident.phone.reveal() == PHONE
    assert user_for_phone(PHONE) == world.resident
    assert AuditEntry.objects.filter(action="user.phone", object_id=str(world.resident.pk)).exists()


def test_two_accounts_cannot_share_a_mobile_number(world):
    user_set_phone(user=world.resident, phone=PHONE)
    with pytest.raises(ValidationError) as caught:
        user_set_phone(user=world.outsider, phone=PHONE)
    assert _codes(caught.value, "phone") == {"duplicate"}


def test_a_landline_is_refused_because_sms_cannot_reach_it(world):
    with pytest.raises(ValidationError) as caught:
        user_set_phone(user=world.resident, phone="02787654321")
    assert _codes(caught.value, "phone") == {"not_mobile"}


def test_someone_else_cannot_set_a_users_number(world):
    with pytest.raises(Forbidden):
        user_set_phone(user=world.resident, phone=PHONE, actor=world.grid_worker_a)


# --- link to the register --------------------------------------------------------------------


def test_a_grid_worker_links_a_resident_account_to_a_person_of_their_grid(world):
    user_link_person(user=world.resident, person=world.person_a1, actor=world.grid_worker_a)
    world.resident.refresh_from_db()
    assert world.resident.person == world.person_a1
    assert AuditEntry.objects.filter(action="user.link_person").exists()


def test_a_grid_worker_cannot_link_a_person_of_another_grid(world):
    with pytest.raises(Forbidden):
        user_link_person(user=world.resident, person=world.person_b1, actor=world.grid_worker_a)


# --- proxies ---------------------------------------------------------------------------------


def test_a_confirmed_proxy_link_lets_the_user_act_for_the_person_and_is_audited(world):
    user_link_person(user=world.resident, person=world.person_a1)
    link = proxy_link_create(
        user=world.resident,
        person=world.person_a2,
        relation=ProxyRelation.CHILD,
        label="妈妈",
        actor=world.secretary,
    )
    assert link.confirmed_by == world.secretary and link.confirmed_at is not None
    assert persons_user_may_act_for(world.resident) == [world.person_a1.pk, world.person_a2.pk]
    entry = AuditEntry.objects.get(action="proxy.link")
    assert entry.actor_name == "secretary" and entry.area_path == world.person_a2.area_path


def test_only_a_keeper_of_the_persons_register_confirms_a_proxy_link(world):
    with pytest.raises(Forbidden):
        proxy_link_create(
            user=world.resident, person=world.person_a2, relation="child", actor=world.resident
        )
    with pytest.raises(Forbidden):  # grid A1's worker does not keep grid A2
        proxy_link_create(
            user=world.resident,
            person=world.person_a2,
            relation="child",
            actor=world.grid_worker_a,
        )


def test_a_proxy_link_names_a_known_relation_and_is_not_made_twice(world):
    with pytest.raises(ValidationError) as caught:
        proxy_link_create(user=world.resident, person=world.person_a2, relation="boss")
    assert "relation" in caught.value.error_dict
    proxy_link_create(user=world.resident, person=world.person_a2, relation="child")
    with pytest.raises(ValidationError) as caught:
        proxy_link_create(user=world.resident, person=world.person_a2, relation="child")
    assert _codes(caught.value, "person") == {"duplicate"}


def test_one_does_not_act_for_oneself(world):
    user_link_person(user=world.resident, person=world.person_a1)
    with pytest.raises(ValidationError) as caught:
        proxy_link_create(user=world.resident, person=world.person_a1, relation="child")
    assert _codes(caught.value, "person") == {"self"}


def test_an_ended_link_no_longer_counts(world):
    link = proxy_link_create(user=world.resident, person=world.person_a2, relation="child")
    proxy_link_end(link=link, actor=world.resident)
    assert persons_user_may_act_for(world.resident) == []
    assert not proxy_links_for(world.resident).exists()
    assert ProxyLink.objects.get(pk=link.pk).ended_by == world.resident
    # and a new link may be made again later
    proxy_link_create(user=world.resident, person=world.person_a2, relation="child")


def test_another_resident_cannot_end_someone_elses_link(world):
    link = proxy_link_create(user=world.resident, person=world.person_a2, relation="child")
    with pytest.raises(Forbidden):
        proxy_link_end(link=link, actor=world.outsider, area_path=world.person_a2.area_path)


def test_an_unconfirmed_link_does_not_count(world):
    ProxyLink.objects.create(user=world.resident, person=world.person_a2, relation="child")
    assert persons_user_may_act_for(world.resident) == []


def test_no_one_acts_for_anyone_when_signed_out_or_inactive(world):
    proxy_link_create(user=world.resident, person=world.person_a2, relation="child")
    world.resident.is_active = False
    assert persons_user_may_act_for(world.resident) == []
    assert persons_user_may_act_for(None) == []


# --- SMS sign-in codes -----------------------------------------------------------------------


def test_a_code_is_six_digits_stored_only_as_a_hash(db):
    with _at():
        row, code, phone = sms_code_issue(phone="+86 138-0013-8000", ip="10.0.0.1")
    assert phone == PHONE
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at == T0 + dt.timedelta(minutes=5)


def test_the_right_code_signs_in_once_only(db):
    with _at():
        _, code, _ = sms_code_issue(phone=PHONE)
    with _at(minutes=1):
        assert sms_code_check(phone=PHONE, code=code) == PHONE
    with _at(minutes=1, seconds=5), pytest.raises(ValidationError) as caught:
        sms_code_check(phone=PHONE, code=code)
    assert _codes(caught.value, "code") == {"used"}


def test_a_code_expires_after_five_minutes(db):
    with _at():
        _, code, _ = sms_code_issue(phone=PHONE)
    with _at(minutes=5), pytest.raises(ValidationError) as caught:
        sms_code_check(phone=PHONE, code=code)
    assert _codes(caught.value, "code") == {"expired"}


def test_five_wrong_codes_from_one_address_refuse_even_the_right_one_there(db):
    with _at():
        _, code, _ = sms_code_issue(phone=PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with _at(seconds=30):
        for _ in range(5):
            with pytest.raises(ValidationError) as caught:
                sms_code_check(phone=PHONE, code=wrong)
            assert _codes(caught.value, "code") == {"wrong"}
        with pytest.raises(ValidationError) as caught:
            sms_code_check(phone=PHONE, code=code)
    assert _codes(caught.value, "code") == {"too_many_attempts"}
    assert SmsCode.objects.get().attempts == 5
    assert AuditEntry.objects.filter(action="auth.sms_code.exhausted").count() == 1


def test_only_the_latest_code_counts(db):
    with _at():
        _, first, _ = sms_code_issue(phone=PHONE)
    with _at(minutes=2):
        _, second, _ = sms_code_issue(phone=PHONE)
    with _at(minutes=3):
        if first != second:
            with pytest.raises(ValidationError):
                sms_code_check(phone=PHONE, code=first)
        assert sms_code_check(phone=PHONE, code=second) == PHONE


def test_a_number_gets_one_code_a_minute(db):
    with _at():
        sms_code_issue(phone=PHONE)
    with _at(seconds=59), pytest.raises(ValidationError) as caught:
        sms_code_issue(phone=PHONE)
    assert _codes(caught.value, "phone") == {"rate_limited"}
    with _at(seconds=61):
        sms_code_issue(phone=PHONE)


def test_a_number_gets_five_codes_an_hour(db):
    for minute in range(0, 50, 10):
        with _at(minutes=minute):
            sms_code_issue(phone=PHONE)
    with _at(minutes=55), pytest.raises(ValidationError) as caught:
        sms_code_issue(phone=PHONE)
    assert _codes(caught.value, "phone") == {"rate_limited"}
    with _at(minutes=61):
        sms_code_issue(phone=PHONE)


@override_settings(GONGZHI_SMS_CODE_PER_IP_HOUR=3)
def test_one_address_cannot_ask_for_codes_for_many_numbers(db):
    for n in range(3):
        with _at(minutes=n):
            sms_code_issue(phone=f"1380013800{n}", ip="10.0.0.9")
    with _at(minutes=4), pytest.raises(ValidationError) as caught:
        sms_code_issue(phone="13800138009", ip="10.0.0.9")
    assert _codes(caught.value, "phone") == {"rate_limited"}
    with _at(minutes=4):
        sms_code_issue(phone="13800138009", ip="10.0.0.10")


def test_asking_without_any_code_or_with_garbage_is_refused_cleanly(db):
    with pytest.raises(ValidationError) as caught:
        sms_code_check(phone=PHONE, code="123456")
    assert _codes(caught.value, "code") == {"no_code"}
    with pytest.raises(ValidationError) as caught:
        sms_code_issue(phone="hello")
    assert "phone" in caught.value.error_dict


def test_old_codes_are_pruned_by_the_periodic_task(db):
    from gongzhi.accounts.tasks import prune_sms_codes

    with _at():
        sms_code_issue(phone=PHONE)
    with _at(hours=2):
        sms_code_issue(phone="13800138001")
    with _at(hours=25):
        assert prune_sms_codes.call() == 1
    assert SmsCode.objects.count() == 1

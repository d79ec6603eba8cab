"""Staff administration: who may create, grant, revoke, send links, deactivate, reset."""

import datetime as dt
import logging

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts import staff
from gongzhi.accounts.models import AccountLink, AccountLinkKind, Membership, Role, User
from gongzhi.accounts.services import (
    api_key_authenticate,
    api_key_issue,
    membership_grant,
    membership_revoke,
    user_for_phone,
    user_set_phone,
)
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.notifications.models import SmsMessage
from gongzhi.testing import PASSWORD

NEW_PHONE = "13700001111"
GOOD_PASSWORD = "lantern-river-42"


def _admin(world):
    return world.by_role[Role.SYSTEM_ADMIN]


def _new_staff(world, actor=None, area=None, role=Role.GRID_WORKER, **extra):
    data = {
        "username": "wang.li",
        "display_name": "王丽",
        "phone": NEW_PHONE,
        "area": area or world.grid_a1,
        "role": role,
    }
    data.update(extra)
    return staff.staff_create(actor=actor or world.secretary, **data)


def _token_from_sms(user) -> str:
    message = SmsMessage.objects.filter(recipient=user).latest("pk")
    return message.text.split("/account/link/?t=")[1].split()[0]


# --- creating -----------------------------------------------------------------------------------


def test_secretary_creates_a_staff_account_in_their_community(world):
    user = _new_staff(world)
    assert user.display_name == "王丽" and not user.has_usable_password()
    assert Membership.objects.filter(user=user, area=world.grid_a1, role=Role.GRID_WORKER).exists()
    assert str(user.phone) == "137****1111"
    assert SmsMessage.objects.filter(recipient=user, kind="account.link").count() == 1


def test_creating_reports_every_bad_field_at_once(world):
    with pytest.raises(ValidationError) as info:
        _new_staff(world, username="x", display_name="<b>", phone="02787654321")
    assert set(info.value.message_dict) == {"username", "display_name", "phone"}


def test_username_and_mobile_are_unique(world):
    user_set_phone(user=world.grid_worker_a, phone=NEW_PHONE)
    with pytest.raises(ValidationError) as info:
        _new_staff(world, username="GRID_WORKER_A")
    assert set(info.value.message_dict) == {"username", "phone"}


def test_secretary_cannot_create_staff_in_another_community(world):
    with pytest.raises(Forbidden):
        _new_staff(world, area=world.grid_b1)


def test_a_grid_worker_manages_no_accounts(world):
    with pytest.raises(Forbidden):
        _new_staff(world, actor=world.grid_worker_a)


def test_creation_without_invite_sends_nothing(world):
    user = _new_staff(world, invite=False)
    assert not SmsMessage.objects.filter(recipient=user).exists()


# --- granting and revoking ----------------------------------------------------------------------


def test_secretary_grants_a_role_within_the_community(world):
    membership_grant(
        actor=world.secretary, user=world.outsider, area=world.grid_a2, role=Role.GRID_LEADER
    )
    assert Membership.objects.get(user=world.outsider).granted_by == world.secretary


def test_secretary_cannot_grant_above_their_community(world):
    with pytest.raises(Forbidden):
        membership_grant(
            actor=world.secretary, user=world.outsider, area=world.street, role=Role.VOLUNTEER
        )


@pytest.mark.parametrize("role", [Role.STREET_OFFICER, Role.AUDITOR, Role.SYSTEM_ADMIN])
def test_secretary_cannot_grant_a_role_with_permissions_they_lack(world, role):
    # The street officer's permissions are the secretary's own: allowed. The auditor's and
    # the administrator's are not.
    if role == Role.STREET_OFFICER:
        membership_grant(actor=world.secretary, user=world.outsider, area=world.grid_a1, role=role)
        return
    with pytest.raises(ValidationError) as info:
        membership_grant(actor=world.secretary, user=world.outsider, area=world.grid_a1, role=role)
    assert info.value.error_dict["role"][0].code == "not_grantable"


def test_system_admin_cannot_hand_out_register_access_they_do_not_have(world):
    with pytest.raises(ValidationError) as info:
        membership_grant(
            actor=_admin(world), user=world.outsider, area=world.grid_a1, role=Role.SECRETARY
        )
    assert "role" in info.value.message_dict


def test_system_admin_may_grant_another_system_admin(world):
    membership_grant(
        actor=_admin(world), user=world.outsider, area=world.root, role=Role.SYSTEM_ADMIN
    )


def test_no_one_grants_roles_to_themselves(world):
    with pytest.raises(ValidationError) as info:
        membership_grant(
            actor=world.secretary, user=world.secretary, area=world.grid_a1, role=Role.GRID_WORKER
        )
    assert info.value.error_dict["role"][0].code == "own_roles"


def test_auditor_cannot_become_admin_through_the_service_by_any_actor(world):
    auditor = world.by_role[Role.AUDITOR]
    with pytest.raises(ValidationError):
        membership_grant(actor=_admin(world), user=auditor, area=world.root, role=Role.SYSTEM_ADMIN)
    assert not Membership.objects.filter(user=auditor, role=Role.SYSTEM_ADMIN).exists()


def test_admin_cannot_become_auditor_even_by_the_system(world):
    admin = _admin(world)
    with pytest.raises(ValidationError) as info:
        membership_grant(actor=None, user=admin, area=world.street, role=Role.AUDITOR)
    assert "role" in info.value.message_dict


def test_a_revoked_admin_role_lets_the_auditor_role_in(world):
    admin = _admin(world)
    membership_revoke(membership=Membership.objects.get(user=admin, role=Role.SYSTEM_ADMIN))
    membership_grant(user=admin, area=world.root, role=Role.AUDITOR)


def test_secretary_revokes_a_grid_workers_role(world):
    membership = Membership.objects.get(user=world.grid_worker_a, role=Role.GRID_WORKER)
    membership_revoke(actor=world.secretary, membership=membership)
    membership.refresh_from_db()
    assert not membership.is_active


def test_secretary_cannot_revoke_outside_the_community(world):
    other = User.objects.create(username="b_worker")
    membership = membership_grant(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        membership_revoke(actor=world.secretary, membership=membership)


def test_admin_cannot_revoke_the_auditor(world):
    auditor = world.by_role[Role.AUDITOR]
    membership = Membership.objects.get(user=auditor, role=Role.AUDITOR)
    with pytest.raises(ValidationError):
        membership_revoke(actor=_admin(world), membership=membership)


# --- the phone: where links go ------------------------------------------------------------------


def test_secretary_cannot_redirect_the_auditors_phone(world):
    """Else: their own number on the auditor's account, then a reset link to it."""
    with pytest.raises(Forbidden):
        user_set_phone(user=world.by_role[Role.AUDITOR], phone=NEW_PHONE, actor=world.secretary)


def test_admin_cannot_change_a_secretarys_phone(world):
    with pytest.raises(Forbidden):
        user_set_phone(user=world.secretary, phone=NEW_PHONE, actor=_admin(world))


def test_secretary_changes_the_phone_of_a_grid_worker_of_the_community(world):
    user_set_phone(user=world.grid_worker_a, phone=NEW_PHONE, actor=world.secretary)


# --- links --------------------------------------------------------------------------------------


def test_the_invitation_link_sets_the_password_once(world):
    user = _new_staff(world)
    token = _token_from_sms(user)
    staff.account_link_use(token=token, password=GOOD_PASSWORD)
    assert authenticate(username="wang.li", password=GOOD_PASSWORD) == user
    with pytest.raises(ValidationError) as info:
        staff.account_link_use(token=token, password="another-lantern-7")
    assert info.value.error_dict["token"][0].code == "invalid_link"


def test_only_a_hash_of_the_token_is_stored(world):
    user = _new_staff(world)
    token = _token_from_sms(user)
    stored = " ".join(
        str(v) for v in AccountLink.objects.filter(user=user).values().first().values()
    )
    assert token not in stored


def test_an_expired_link_sets_nothing(world, settings):
    user = _new_staff(world)
    token = _token_from_sms(user)
    AccountLink.objects.filter(user=user).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError):
        staff.account_link_use(token=token, password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_newer_link_ends_the_older_one(world):
    user = _new_staff(world)
    first = _token_from_sms(user)
    staff.account_link_send(actor=world.secretary, user=user, kind=AccountLinkKind.INVITE)
    assert staff.account_link_valid(first) is None
    assert staff.account_link_valid(_token_from_sms(user)) is not None


def test_a_weak_password_is_refused_and_the_link_stays_good(world):
    user = _new_staff(world)
    token = _token_from_sms(user)
    with pytest.raises(ValidationError) as info:
        staff.account_link_use(token=token, password="12345678")
    assert "new_password1" in info.value.message_dict
    assert staff.account_link_valid(token) is not None


def test_the_token_is_in_no_audit_entry_and_no_log(world, caplog):
    caplog.set_level(logging.DEBUG)
    user = _new_staff(world)
    token = _token_from_sms(user)
    staff.account_link_use(token=token, password=GOOD_PASSWORD)
    for entry in AuditEntry.objects.all():
        assert token not in " ".join(str(v) for v in entry.__dict__.values())
    assert not [r for r in caplog.records if token in r.getMessage()]


def test_the_link_is_audited_by_username_not_by_name_or_phone(world):
    user = _new_staff(world)
    entries = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(user.pk))
    assert {"user.create", "user.phone", "account.invite"} <= set(
        entries.values_list("action", flat=True)
    )
    for entry in entries:
        text = " ".join(str(v) for v in entry.__dict__.values())
        assert "王丽" not in text and NEW_PHONE not in text


def test_reset_ends_the_old_password_and_sends_a_link(world):
    user_set_phone(user=world.grid_worker_a, phone=NEW_PHONE)
    staff.account_link_send(actor=world.secretary, user=world.grid_worker_a, kind="reset")
    assert authenticate(username="grid_worker_a", password=PASSWORD) is None
    assert SmsMessage.objects.filter(recipient=world.grid_worker_a, sensitive=True).count() == 1


def test_no_link_for_an_account_without_a_phone(world):
    with pytest.raises(ValidationError) as info:
        staff.account_link_send(actor=world.secretary, user=world.grid_worker_a, kind="invite")
    assert "phone" in info.value.message_dict


def test_secretary_cannot_reset_the_password_of_another_communitys_staff(world):
    other = User.objects.create(username="b_worker")
    membership_grant(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        staff.account_link_send(actor=world.secretary, user=other, kind="reset")


def test_an_account_with_a_role_outside_is_out_of_the_secretarys_reach(world):
    membership_grant(user=world.grid_worker_a, area=world.grid_b1, role=Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        staff.account_deactivate(actor=world.secretary, user=world.grid_worker_a)


# --- deactivation -------------------------------------------------------------------------------


def test_a_deactivated_account_cannot_sign_in(world):
    staff.account_deactivate(actor=world.secretary, user=world.grid_worker_a)
    assert authenticate(username="grid_worker_a", password=PASSWORD) is None


def test_a_deactivated_accounts_api_key_is_refused_even_after_reactivation(world):
    membership = Membership.objects.get(user=world.grid_worker_a, role=Role.GRID_WORKER)
    _key, raw = api_key_issue(membership=membership, name="k")
    staff.account_deactivate(actor=world.secretary, user=world.grid_worker_a)
    assert api_key_authenticate(raw) is None
    staff.account_reactivate(actor=world.secretary, user=world.grid_worker_a)
    assert api_key_authenticate(raw) is None
    assert authenticate(username="grid_worker_a", password=PASSWORD) is not None


def test_a_deactivated_account_cannot_sign_in_by_sms(world):
    user_set_phone(user=world.grid_worker_a, phone=NEW_PHONE)
    staff.account_deactivate(actor=world.secretary, user=world.grid_worker_a)
    assert user_for_phone(NEW_PHONE) is None


def test_deactivation_ends_open_links(world):
    user = _new_staff(world)
    token = _token_from_sms(user)
    staff.account_deactivate(actor=world.secretary, user=user)
    assert staff.account_link_valid(token) is None


def test_no_one_deactivates_their_own_account(world):
    with pytest.raises(Forbidden):
        staff.account_deactivate(actor=world.secretary, user=world.secretary)


def test_admin_deactivates_a_secretary(world):
    staff.account_deactivate(actor=_admin(world), user=world.secretary)
    assert AuditEntry.objects.filter(action="account.deactivate", actor_name="sysadmin").exists()


# --- second factor ------------------------------------------------------------------------------


def test_second_factor_reset_needs_a_reason_and_records_it(world):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="phone", confirmed=True)
    with pytest.raises(ValidationError) as info:
        staff.second_factor_reset(actor=world.secretary, user=world.grid_worker_a, reason="  ")
    assert "reason" in info.value.message_dict
    assert TOTPDevice.objects.filter(user=world.grid_worker_a).exists()
    staff.second_factor_reset(
        actor=world.secretary, user=world.grid_worker_a, reason="手机丢失，本人到场 13912345678"
    )
    assert not TOTPDevice.objects.filter(user=world.grid_worker_a).exists()
    entry = AuditEntry.objects.get(action="account.second_factor_reset")
    assert entry.purpose.startswith("手机丢失") and "13912345678" not in entry.purpose


def test_second_factor_reset_of_an_account_without_a_device_says_so(world):
    with pytest.raises(ValidationError) as info:
        staff.second_factor_reset(actor=world.secretary, user=world.grid_worker_a, reason="lost")
    assert "account" in info.value.message_dict


def test_secretary_cannot_reset_the_auditors_device(world):
    auditor = world.by_role[Role.AUDITOR]
    TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    with pytest.raises(Forbidden):
        staff.second_factor_reset(actor=world.secretary, user=auditor, reason="lost")


# --- reads --------------------------------------------------------------------------------------


def test_staff_list_is_the_secretarys_community_only(world):
    other = User.objects.create(username="b_worker")
    membership_grant(user=other, area=world.grid_b1, role=Role.GRID_WORKER)
    names = set(staff.staff_list_for(user=world.secretary).values_list("username", flat=True))
    assert {"grid_worker_a", "grid_worker_b", "secretary"} <= names
    assert "b_worker" not in names and "resident" not in names and "auditor" not in names


def test_staff_list_filters_by_role_and_text(world):
    by_role = staff.staff_list_for(user=world.secretary, role=Role.GRID_LEADER)
    assert [u.username for u in by_role] == ["grid_leader"]
    by_text = staff.staff_list_for(user=world.secretary, q="WORKER_B")
    assert [u.username for u in by_text] == ["grid_worker_b"]


def test_holders_within_a_grid(world):
    rows = staff.holders_within(user=world.secretary, area=world.grid_a1)
    held = {(m.user.username, m.role) for m in rows}
    assert ("grid_worker_a", Role.GRID_WORKER) in held
    assert ("grid_worker_b", Role.GRID_WORKER) not in held
    assert all(m.granted_at for m in rows)


def test_sign_ins_are_read_from_the_audit_log(world):
    from gongzhi.accounts.services import password_sign_in_failed, sign_in_recorded

    sign_in_recorded(user=world.grid_worker_a)
    password_sign_in_failed(username="grid_worker_a", ip="203.0.113.9")
    sign_in_recorded(user=world.grid_worker_b)
    seen = staff.sign_ins_for(user=world.grid_worker_a)
    assert [s.ok for s in seen] == [False, True]


def test_addresses_are_coarse():
    assert staff.coarse_address("203.0.113.9") == "203.0.113.*"
    assert staff.coarse_address("2001:db8:1:2::5") == "2001:0db8:0001:*"
    assert staff.coarse_address("") == ""


def test_the_outbox_blanks_a_sent_links_token(world):
    from gongzhi.notifications.services import redacted

    user = _new_staff(world)
    token = _token_from_sms(user)
    text = SmsMessage.objects.get(recipient=user).text
    assert token in text and token not in redacted(text)
    assert "/account/link/?t=" in redacted(text)

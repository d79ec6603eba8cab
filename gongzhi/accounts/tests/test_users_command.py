"""`gongzhi users`: the pages' services and rules, done and audited as a named account."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.notifications.models import SmsMessage

COMMUNITY_A = "421087001001"
GRID_A1 = "421087001001001"
GRID_B1 = "421087001002001"


def users(*args: str) -> str:
    out = StringIO()
    call_command("users", *args, stdout=out)
    return out.getvalue()


def test_list_as_the_secretary_shows_the_community_with_masked_phones(world):
    user_set_phone(user=world.grid_worker_a, phone="13700002222")
    out = users("list", "--as", "secretary")
    assert "grid_worker_a" in out and "137****2222" in out and "13700002222" not in out
    assert "auditor" not in out


def test_create_invites_and_is_audited_as_the_actor(world):
    out = users(
        "create", "--as", "secretary", "--username", "wang.li", "--name", "王丽",
        "--phone", "13700001111", "--area-code", GRID_A1, "--role", "grid_worker",
    )  # fmt: skip
    user = User.objects.get(username="wang.li")
    assert "wang.li" in out and SmsMessage.objects.filter(recipient=user).exists()
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.pk))
    assert (entry.actor_name, entry.via) == ("secretary", "cli")


def test_create_names_every_bad_field(world):
    with pytest.raises(CommandError) as info:
        users(
            "create", "--as", "secretary", "--username", "x", "--name", "王丽",
            "--phone", "123", "--area-code", GRID_A1, "--role", "grid_worker",
        )  # fmt: skip
    assert "username" in str(info.value) and "phone" in str(info.value)


def test_grant_outside_the_actors_community_is_refused(world):
    with pytest.raises(CommandError, match="does not manage accounts"):
        users("grant", "--as", "secretary", "--username", "grid_worker_b",
              "--area-code", GRID_B1, "--role", "volunteer")  # fmt: skip


def test_grant_and_revoke(world):
    users("grant", "--as", "secretary", "--username", "grid_worker_b",
          "--area-code", GRID_A1, "--role", "grid_leader")  # fmt: skip
    assert Membership.objects.filter(user=world.grid_worker_b, role="grid_leader", is_active=True)
    users("revoke", "--as", "secretary", "--username", "grid_worker_b",
          "--area-code", GRID_A1, "--role", "grid_leader")  # fmt: skip
    assert not Membership.objects.filter(
        user=world.grid_worker_b, role="grid_leader", is_active=True
    ).exists()


def test_the_auditor_role_is_refused_to_an_admin_even_by_the_system(world):
    with pytest.raises(CommandError, match="role"):
        users("grant", "--system", "--username", "sysadmin",
              "--area-code", COMMUNITY_A, "--role", "auditor")  # fmt: skip


def test_the_system_appoints_a_first_secretary(world):
    users("grant", "--system", "--username", "outsider",
          "--area-code", COMMUNITY_A, "--role", "secretary")  # fmt: skip
    entry = AuditEntry.objects.filter(action="membership.grant").latest("seq")
    assert entry.actor_id is None and entry.via == "cli"


def test_an_actor_with_a_second_factor_gives_its_code(world):
    admin = world.by_role[Role.SYSTEM_ADMIN]
    with pytest.raises(CommandError, match="--otp"):
        users("deactivate", "--as", "sysadmin", "--username", "grid_worker_a")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    users("deactivate", "--as", "sysadmin", "--otp", code, "--username", "grid_worker_a")
    world.grid_worker_a.refresh_from_db()
    assert not world.grid_worker_a.is_active


def test_deactivate_reactivate_reset_password(world):
    user_set_phone(user=world.grid_worker_a, phone="13700002222")
    users("deactivate", "--as", "secretary", "--username", "grid_worker_a")
    users("reactivate", "--as", "secretary", "--username", "grid_worker_a")
    out = users("reset-password", "--as", "secretary", "--username", "grid_worker_a")
    world.grid_worker_a.refresh_from_db()
    assert world.grid_worker_a.is_active and not world.grid_worker_a.has_usable_password()
    assert "/account/link/" not in out and "?t=" not in out


def test_reset_2fa_needs_its_reason_and_records_it(world):
    TOTPDevice.objects.create(user=world.grid_worker_a, name="phone", confirmed=True)
    users("reset-2fa", "--as", "secretary", "--username", "grid_worker_a", "--reason", "手机丢失")
    entry = AuditEntry.objects.get(action="account.second_factor_reset")
    assert entry.purpose == "手机丢失" and entry.actor_name == "secretary"


def test_an_account_of_another_community_is_not_found(world):
    with pytest.raises(CommandError, match="no account"):
        users("invite", "--as", "secretary", "--username", "auditor")


def test_the_system_creates_a_communitys_first_secretary_and_invites_them(world):
    users(
        "create", "--system", "--username", "new.secretary", "--name", "赵敏",
        "--phone", "13700003333", "--area-code", COMMUNITY_A, "--role", "secretary",
    )  # fmt: skip
    user = User.objects.get(username="new.secretary")
    assert Membership.objects.filter(user=user, role=Role.SECRETARY, is_active=True).exists()
    assert SmsMessage.objects.filter(recipient=user).exists()

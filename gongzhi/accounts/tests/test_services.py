import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import ApiKey, Membership, Role
from gongzhi.accounts.services import (
    api_key_authenticate,
    api_key_issue,
    api_key_revoke,
    membership_grant,
    membership_revoke,
    requires_second_factor,
    user_create,
)
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden


def test_user_names_are_unique_ignoring_case(world):
    with pytest.raises(ValidationError) as info:
        user_create(username="SECRETARY", password="x" * 12)
    assert "username" in info.value.message_dict


def test_auditor_cannot_also_be_system_admin(world):
    auditor = world.by_role[Role.AUDITOR]
    with pytest.raises(ValidationError) as info:
        membership_grant(user=auditor, area=world.root, role=Role.SYSTEM_ADMIN)
    assert "role" in info.value.message_dict


def test_system_admin_cannot_also_be_auditor(world):
    admin = world.by_role[Role.SYSTEM_ADMIN]
    with pytest.raises(ValidationError):
        membership_grant(user=admin, area=world.community_a, role=Role.AUDITOR)


def test_granting_is_audited(world):
    membership_grant(user=world.outsider, area=world.grid_a1, role=Role.VOLUNTEER)
    entry = AuditEntry.objects.filter(action="membership.grant").latest("seq")
    assert entry.area_path == world.grid_a1.path


def test_only_an_accounts_manager_may_grant(world):
    with pytest.raises(Forbidden):
        membership_grant(
            user=world.outsider, area=world.grid_a1, role=Role.VOLUNTEER, actor=world.grid_worker_a
        )
    # The secretary manages the accounts of their own community, not the next one's.
    with pytest.raises(Forbidden):
        membership_grant(
            user=world.outsider, area=world.grid_b1, role=Role.GRID_WORKER, actor=world.secretary
        )
    membership_grant(
        user=world.outsider, area=world.grid_a1, role=Role.GRID_WORKER, actor=world.secretary
    )


@pytest.mark.parametrize(
    ("role", "needed"),
    [
        (Role.AUDITOR, True),
        (Role.SYSTEM_ADMIN, True),
        (Role.GRID_WORKER, False),
        (Role.SECRETARY, False),
    ],
)
def test_second_factor_is_required_for_auditor_and_admin(world, role, needed):
    assert requires_second_factor(world.by_role[role]) is needed


def _membership(world) -> Membership:
    return Membership.objects.get(user=world.grid_worker_a, role=Role.GRID_WORKER)


def test_issued_key_authenticates_as_its_membership(world):
    key, raw = api_key_issue(membership=_membership(world), name="city hub")
    assert api_key_authenticate(raw) == _membership(world)
    assert raw.startswith("gz_") and key.secret_hash not in raw


def test_only_a_hash_of_the_key_is_stored(world):
    key, raw = api_key_issue(membership=_membership(world), name="city hub")
    stored = " ".join(str(v) for v in ApiKey.objects.filter(pk=key.pk).values().first().values())
    assert raw.split("_", 2)[2] not in stored


@pytest.mark.parametrize("raw", ["", "garbage", "gz_nope_nope", "gz__", "Bearer x"])
def test_garbage_keys_do_not_authenticate(world, raw):
    api_key_issue(membership=_membership(world), name="k")
    assert api_key_authenticate(raw) is None


def test_wrong_secret_with_a_real_prefix_does_not_authenticate(world):
    _, raw = api_key_issue(membership=_membership(world), name="k")
    assert api_key_authenticate(raw[:-3] + "xyz") is None


def test_revoked_key_does_not_authenticate(world):
    key, raw = api_key_issue(membership=_membership(world), name="k")
    api_key_revoke(key=key)
    assert api_key_authenticate(raw) is None


def test_expired_key_does_not_authenticate(world):
    key, raw = api_key_issue(membership=_membership(world), name="k")
    key.expires_at = clock.now() - dt.timedelta(minutes=1)
    key.save()
    assert api_key_authenticate(raw) is None


def test_revoking_a_membership_revokes_its_keys(world):
    _key, raw = api_key_issue(membership=_membership(world), name="k")
    membership_revoke(membership=_membership(world))
    assert api_key_authenticate(raw) is None


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSTEM_ADMIN])
def test_roles_that_need_a_second_factor_get_no_api_keys(world, role):
    membership = Membership.objects.get(user=world.by_role[role], role=role)
    with pytest.raises(ValidationError):
        api_key_issue(membership=membership, name="k")


def test_non_ascii_secret_is_simply_not_a_key(world):
    key, _raw = api_key_issue(membership=_membership(world), name="k")
    assert api_key_authenticate(f"gz_{key.prefix}_密钥") is None

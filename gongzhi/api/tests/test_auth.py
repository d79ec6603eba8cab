"""Two ways in: an API key that acts only as its membership, or the session with CSRF."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from gongzhi.accounts.models import ApiKey, Membership, Role
from gongzhi.accounts.services import api_key_issue, api_key_revoke, membership_grant
from gongzhi.api.tests.conftest import Caller, assert_error
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock

CSRF_TOKEN = "a" * 32


def _key_for(user, area, role=None):
    membership = Membership.objects.get(user=user, area=area, **({"role": role} if role else {}))
    key, raw = api_key_issue(membership=membership, name="integration")
    return key, raw


def test_request_without_credentials_is_401_in_the_error_shape(client, world):
    response = client.get("/api/v1/households")

    assert_error(response, 401, "unauthenticated")
    assert response["Content-Language"] == "zh-hans"


def test_garbage_key_is_401(world):
    for raw in ("nonsense", "gz_abc_def", "gz__", "Bearer x", "gz_" + "x" * 300):
        response = Caller(Client(), key=raw).get("/households")
        assert_error(response, 401, "unauthenticated")


def test_key_with_a_wrong_secret_is_401(world):
    _key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    wrong = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")

    assert_error(Caller(Client(), key=wrong).get("/households"), 401, "unauthenticated")


def test_key_with_a_known_prefix_and_a_non_ascii_secret_is_401(world):
    key, _raw = _key_for(world.grid_worker_a, world.grid_a1)
    response = Client().get(
        "/api/v1/households", HTTP_X_API_KEY=f"gz_{key.prefix}_caf\u00e9".encode().decode("latin-1")
    )

    assert_error(response, 401, "unauthenticated")


def test_revoked_key_is_401(world):
    key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    caller = Caller(Client(), key=raw)
    assert caller.get("/households").status_code == 200

    api_key_revoke(key=key)

    assert_error(caller.get("/households"), 401, "unauthenticated")


def test_expired_key_is_401(world):
    key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=clock.now() - dt.timedelta(minutes=1))

    assert_error(Caller(Client(), key=raw).get("/households"), 401, "unauthenticated")


def test_key_of_a_revoked_membership_is_401(world):
    from gongzhi.accounts.services import membership_revoke

    key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    membership_revoke(membership=key.membership)

    assert_error(Caller(Client(), key=raw).get("/households"), 401, "unauthenticated")


def test_key_of_a_deactivated_user_is_401(world):
    _key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    world.grid_worker_a.is_active = False
    world.grid_worker_a.save()

    assert_error(Caller(Client(), key=raw).get("/households"), 401, "unauthenticated")


def test_a_bad_key_does_not_fall_back_to_the_session(client, world):
    client.force_login(world.grid_worker_a)

    response = Caller(client, key="gz_nothing_here").get("/households")

    assert_error(response, 401, "unauthenticated")


def test_key_acts_only_as_its_membership_not_as_everything_its_user_holds(world):
    # Given a grid worker of A1 who is also community staff of all of community A
    user = world.grid_worker_a
    membership_grant(user=user, area=world.community_a, role=Role.COMMUNITY_STAFF)
    _key, raw = _key_for(user, world.grid_a1, Role.GRID_WORKER)
    key_caller = Caller(Client(), key=raw)
    session = Client()
    session.force_login(user)
    session_caller = Caller(session)

    # the session sees both grids of community A
    assert session_caller.get(f"/households/{world.household_a2.pk}").status_code == 200
    ids = {h["id"] for h in session_caller.get("/households").json()["items"]}
    assert ids == {world.household_a1.pk, world.household_a2.pk}

    # but the key bound to grid A1 sees grid A1 only
    ids = {h["id"] for h in key_caller.get("/households").json()["items"]}
    assert ids == {world.household_a1.pk}
    assert_error(key_caller.get(f"/households/{world.household_a2.pk}"), 404, "not_found")
    assert_error(key_caller.get(f"/persons/{world.person_a2.pk}"), 404, "not_found")
    response = key_caller.patch(f"/persons/{world.person_a2.pk}", {"notes": "x"})
    assert_error(response, 404, "not_found")


def test_key_with_a_view_only_role_cannot_write(world):
    _key, raw = _key_for(world.by_role[Role.PARTY_MEMBER], world.grid_a1)
    caller = Caller(Client(), key=raw)

    assert caller.get(f"/persons/{world.person_a1.pk}").status_code == 200
    response = caller.patch(f"/persons/{world.person_a1.pk}", {"notes": "x"})

    assert_error(response, 403, "forbidden")


def test_key_writes_are_audited_as_its_user_via_the_api(world):
    _key, raw = _key_for(world.grid_worker_a, world.grid_a1)

    response = Caller(Client(), key=raw).patch(
        f"/persons/{world.person_a1.pk}", {"notes": "腿脚不便"}
    )

    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.filter(action="person.update").latest("seq")
    assert entry.actor_id == world.grid_worker_a.pk
    assert entry.via == "api"
    assert entry.fields == ["notes"]


def test_key_requests_need_no_csrf_token(world):
    _key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    caller = Caller(Client(enforce_csrf_checks=True), key=raw)

    response = caller.patch(f"/persons/{world.person_a1.pk}", {"notes": "ok"})

    assert response.status_code == 200, response.content


def test_session_write_without_csrf_token_is_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid_worker_a)

    response = Caller(client).patch(f"/persons/{world.person_a1.pk}", {"notes": "x"})

    assert_error(response, 403, "csrf_failed")
    world.person_a1.refresh_from_db()
    assert world.person_a1.notes == ""


def test_session_write_with_csrf_token_passes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid_worker_a)
    client.cookies["csrftoken"] = CSRF_TOKEN

    response = client.patch(
        f"/api/v1/persons/{world.person_a1.pk}",
        '{"notes": "ok"}',
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_TOKEN},
    )

    assert response.status_code == 200, response.content


def test_session_reads_need_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid_worker_a)

    assert client.get("/api/v1/households").status_code == 200


def test_anonymous_write_is_401_not_a_csrf_error(world):
    response = Caller(Client(enforce_csrf_checks=True)).post("/households", {"room": "1"})

    assert_error(response, 401, "unauthenticated")


def test_roles_with_a_second_factor_must_pass_it_before_using_the_session(client, world):
    client.force_login(world.by_role[Role.SYSTEM_ADMIN])

    assert_error(client.get("/api/v1/areas"), 403, "second_factor_required")


# --- the command ----------------------------------------------------------------------------


def test_apikey_issue_prints_a_working_key_once(world):
    out = StringIO()

    call_command(
        "apikey",
        "issue",
        "--user=grid_worker_a",
        f"--area-code={world.grid_a1.code}",
        "--role=grid_worker",
        "--name=市民热线对接",
        stdout=out,
    )

    raw = re.search(r"^gz_\S+$", out.getvalue(), re.M).group(0)
    key = ApiKey.objects.get()
    assert key.name == "市民热线对接"
    assert raw.split("_")[1] == key.prefix
    assert raw not in str(ApiKey.objects.values_list().get())  # only the hash is kept
    ids = {h["id"] for h in Caller(Client(), key=raw).get("/households").json()["items"]}
    assert ids == {world.household_a1.pk}


def test_apikey_issue_refuses_a_membership_the_user_does_not_hold(world):
    with pytest.raises(CommandError, match="no active"):
        call_command(
            "apikey",
            "issue",
            "--user=grid_worker_a",
            f"--area-code={world.community_a.code}",
            "--role=secretary",
            "--name=x",
            stdout=StringIO(),
        )
    assert not ApiKey.objects.exists()


def test_apikey_revoke_makes_the_key_401(world):
    key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    out = StringIO()

    call_command("apikey", "revoke", key.prefix, stdout=out)

    assert "revoked" in out.getvalue()
    assert_error(Caller(Client(), key=raw).get("/households"), 401, "unauthenticated")
    with pytest.raises(CommandError):
        call_command("apikey", "revoke", "nosuch", stdout=StringIO())


def test_apikey_list_never_shows_secrets(world):
    key, raw = _key_for(world.grid_worker_a, world.grid_a1)
    out = StringIO()

    call_command("apikey", "list", stdout=out)

    assert key.prefix in out.getvalue()
    assert raw.split("_", 2)[2] not in out.getvalue()

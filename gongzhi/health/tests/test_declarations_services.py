"""Arrival declarations: the link's key, the checks (each bad input names its field, in
Chinese by default, nothing half-written), the phone code, matching to the register,
proxies, retention, audit."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from gongzhi.accounts.models import SmsCode
from gongzhi.accounts.services import proxy_link_create, user_create, user_set_phone
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.health import declarations, sunset
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import Declaration, WatchEntry, WatchEvent
from gongzhi.health.states import EntryStatus, Tier
from gongzhi.health.tests import declaration_factories as f
from gongzhi.testing import PASSWORD

# --- the link ------------------------------------------------------------------------------


def test_the_key_is_stable_and_names_its_community(world):
    key = declarations.community_key(world.community_a)
    assert key == declarations.community_key(world.community_a)
    assert declarations.community_for_key(key) == world.community_a


@pytest.mark.parametrize(
    "key",
    ["", "x", "1:forged", "not-a-key"],
)
def test_a_forged_key_is_not_found(world, key):
    with pytest.raises(NotFound):
        declarations.community_for_key(key)


def test_a_key_of_another_community_cannot_be_made_by_changing_the_id(world):
    key = declarations.community_key(world.community_a)
    forged = f"{world.community_b.pk}:{key.split(':', 1)[1]}"
    with pytest.raises(NotFound):
        declarations.community_for_key(forged)


def test_a_signed_id_that_is_not_a_community_is_not_found(world):
    from django.core import signing

    key = signing.Signer(salt=declarations.KEY_SALT).sign(str(world.grid_a1.pk))
    with pytest.raises(NotFound):
        declarations.community_for_key(key)


# --- bad input -------------------------------------------------------------------------------


def _errors(world, **extra):
    data = f.form_data(world, **extra)
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(community=world.community_a, data=data, code="000000")
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "未来"), (400, "365"), (None, "1900")],
    ids=["future", "over-a-year-ago", "before-1900"],
)
def test_an_impossible_arrival_date_is_refused_naming_the_field(world, days, message):
    day = dt.date(1899, 12, 31) if days is None else clock.today() - dt.timedelta(days=days)
    with translation.override("zh-hans"):
        errors = _errors(world, arrived_on=day.isoformat())
    assert list(errors) == ["arrived_on"]
    assert message in errors["arrived_on"][0]
    assert not Declaration.objects.exists() and not WatchEntry.objects.exists()


def test_an_arrival_date_that_is_not_a_date_is_refused(world):
    assert "arrived_on" in _errors(world, arrived_on="2024-02-30")


def test_an_invalid_id_number_is_refused_with_the_rule(world):
    good = f.form_data(world)["id_number"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with translation.override("zh-hans"):
        errors = _errors(world, id_number=bad)
    assert list(errors) == ["id_number"]
    assert "校验" in errors["id_number"][0]
    assert not Declaration.objects.exists()


def test_a_building_of_another_community_is_refused(world):
    errors = _errors(world, building=world.building_b1.pk)
    assert list(errors) == ["building"]
    assert not Declaration.objects.exists()


def test_a_grid_is_not_a_building(world):
    assert list(_errors(world, building=world.grid_a1.pk)) == ["building"]


def test_every_problem_is_named_at_once(world):
    errors = _errors(
        world, name="", id_number="123", phone="12", origin="", travel_mode="boat",
        building="", room="", symptoms=["fever", "none"],
    )  # fmt: skip
    assert set(errors) == {
        "name", "id_number", "phone", "origin", "travel_mode", "building", "room", "symptoms",
    }  # fmt: skip


def test_without_a_code_the_number_is_not_confirmed(world):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(community=world.community_a, data=f.form_data(world))
    assert list(caught.value.message_dict) == ["code"]
    assert not Declaration.objects.exists()


def test_a_wrong_code_is_refused_and_nothing_is_written(world):
    declarations.declare_code_request(phone=f.PHONE)
    right = f.last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a, data=f.form_data(world), code=wrong
        )
    assert list(caught.value.message_dict) == ["code"]
    assert not Declaration.objects.exists() and not WatchEntry.objects.exists()


def test_an_expired_code_is_refused(world):
    declarations.declare_code_request(phone=f.PHONE)
    code = f.last_code()
    later = clock.now() + dt.timedelta(minutes=30)
    with clock.freeze(later), pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a, data=f.form_data(world), code=code
        )
    assert list(caught.value.message_dict) == ["code"]
    assert not Declaration.objects.exists()


def test_a_sign_in_code_does_not_confirm_a_declaration(world):
    from gongzhi.accounts.services import sms_code_issue

    _row, code, _phone = sms_code_issue(phone=f.PHONE)  # purpose "login"
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a, data=f.form_data(world), code=code
        )
    assert list(caught.value.message_dict) == ["code"]


def test_bad_fields_do_not_spend_the_code(world):
    declarations.declare_code_request(phone=f.PHONE)
    code = f.last_code()
    with pytest.raises(ValidationError):
        declarations.declaration_submit(
            community=world.community_a, data=f.form_data(world, room=""), code=code
        )
    assert SmsCode.objects.get(purpose="declare").used_at is None
    declaration = declarations.declaration_submit(
        community=world.community_a, data=f.form_data(world), code=code
    )
    assert declaration.pk


def test_code_requests_are_rate_limited(world):
    declarations.declare_code_request(phone=f.PHONE)
    with pytest.raises(ValidationError) as caught:
        declarations.declare_code_request(phone=f.PHONE)
    assert list(caught.value.message_dict) == ["phone"]


# --- declaring -------------------------------------------------------------------------------


def test_a_stranger_waits_for_the_grid_worker(world):
    declaration = f.declare(world, f.form_data(world))
    assert declaration.status == "pending_person" and declaration.person is None
    assert declaration.area_path == world.building_a1.path
    entry = declaration.entry
    assert entry.upstream_list is None and entry.row_number is None
    assert entry.tier == Tier.NOT_IN_REGISTER and entry.status == EntryStatus.TO_REVIEW
    assert entry.area_path == world.building_a1.path
    assert entry.grid == world.grid_a1 and entry.assignee == world.grid_worker_a
    assert entry.origin == "武汉市" and entry.arrival_date == declaration.arrived_on
    assert list(entry.events.values_list("action", flat=True)) == ["declared"]


def test_a_registered_person_is_matched_on_the_id_number(world):
    person = world.person_a2
    declaration = f.declare(world, f.person_data(world, person, building=world.building_a1.pk))
    assert declaration.status == "matched" and declaration.person == person
    assert declaration.entry.tier == Tier.ID_NUMBER
    # Followed up where the person lives, whatever building was chosen.
    assert declaration.entry.area_path == person.area_path
    assert declaration.entry.assignee == world.grid_worker_b


def test_a_registered_person_is_matched_on_name_and_phone(world):
    from gongzhi.testing import make_id_number

    person = world.person_a1
    data = f.person_data(world, person, id_number=make_id_number(birth=dt.date(1971, 1, 1)))
    declaration = f.declare(world, data)
    assert declaration.person == person and declaration.entry.tier == Tier.NAME_PHONE


def test_a_person_of_another_community_is_not_matched_here(world):
    declaration = f.declare(
        world, f.person_data(world, world.person_b1, building=world.building_a1.pk)
    )
    assert declaration.person is None and declaration.status == "pending_person"


def test_values_are_stored_encrypted_and_shown_masked(world):
    data = f.form_data(world)
    declaration = Declaration.objects.get(pk=f.declare(world, data).pk)
    assert str(declaration.id_number) != data["id_number"]
    assert declaration.id_number.reveal() == data["id_number"]
    assert "*" in str(declaration.phone) and "*" in str(declaration.name)


def test_retention_comes_from_the_sunset_policy(world):
    declaration = f.declare(world, f.form_data(world))
    assert declaration.retain_until == sunset.retain_until("declaration", clock.now())


def test_the_audit_names_the_declaration_by_number_only(world):
    data = f.form_data(world)
    declaration = f.declare(world, data)
    entry = AuditEntry.objects.get(action="declaration.submit")
    assert entry.object_label == f"#{declaration.pk}"
    text = f"{entry.object_label} {entry.purpose} {entry.fields}"
    for value in (data["name"], data["id_number"], data["phone"], data["origin"]):
        assert value not in text


def test_the_status_rules_hear_of_it_after_commit(world, django_capture_on_commit_callbacks):
    heard = []

    def receiver(sender, person_ids, **kwargs):
        heard.append(person_ids)

    health_inputs_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            f.declare(world, f.person_data(world, world.person_a1))
    finally:
        health_inputs_changed.disconnect(receiver)
    assert heard == [[world.person_a1.pk]]


# --- signed in, and proxies ------------------------------------------------------------------


def test_a_signed_in_user_needs_no_code_for_their_own_number(world):
    user = world.resident
    user_set_phone(user=user, phone=f.PHONE)
    declaration = declarations.declaration_submit(
        community=world.community_a, data=f.form_data(world), actor=user
    )
    assert declaration.declared_by == user and not declaration.by_proxy


def test_a_signed_in_user_needs_a_code_for_another_number(world):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a, data=f.form_data(world), actor=world.resident
        )
    assert list(caught.value.message_dict) == ["code"]


@pytest.fixture
def child(world):
    user = user_create(username="child", password=PASSWORD)
    proxy_link_create(user=user, person=world.person_a1, relation="child")
    return user


def test_a_proxy_declares_for_their_parent(world, child):
    parent = world.person_a1
    data = f.person_data(world, parent)  # the parent's register number: no code needed
    declaration = declarations.declaration_submit(
        community=world.community_a, data=data, actor=child, for_person_id=parent.pk
    )
    assert declaration.by_proxy and declaration.declared_by == child
    assert declaration.person == parent
    audit = AuditEntry.objects.get(action="declaration.submit")
    assert f"person {parent.pk}" in audit.purpose and parent.name not in audit.purpose


def test_declaring_for_someone_one_does_not_act_for_is_refused(world, child):
    stranger = world.person_a2
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a,
            data=f.person_data(world, stranger),
            actor=child,
            for_person_id=stranger.pk,
        )
    assert "for_person" in caught.value.message_dict
    assert not Declaration.objects.exists()


def test_an_anonymous_proxy_claim_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a,
            data=f.person_data(world, world.person_a1),
            for_person_id=world.person_a1.pk,
        )
    assert "for_person" in caught.value.message_dict


def test_a_proxy_must_use_the_parents_id_number(world, child):
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a,
            data=f.person_data(world, world.person_a2, phone=world.person_a1.phone.reveal()),
            actor=child,
            for_person_id=world.person_a1.pk,
        )
    assert list(caught.value.message_dict) == ["id_number"]


def test_an_ended_proxy_link_no_longer_declares(world, child):
    from gongzhi.accounts.models import ProxyLink

    ProxyLink.objects.filter(user=child).update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        declarations.declaration_submit(
            community=world.community_a,
            data=f.person_data(world, world.person_a1),
            actor=child,
            for_person_id=world.person_a1.pk,
        )
    assert "for_person" in caught.value.message_dict


@override_settings(GONGZHI_SMS_CODE_PER_PHONE_MINUTE=10)
def test_the_code_text_names_no_one(world):
    declarations.declare_code_request(phone=f.PHONE)
    from gongzhi.notifications.models import SmsMessage

    message = SmsMessage.objects.latest("pk")
    assert message.sensitive and message.kind == "health.declare_code"
    assert WatchEvent.objects.count() == 0

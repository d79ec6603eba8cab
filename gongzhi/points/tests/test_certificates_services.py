"""Signing keys and issuing: who may make and rotate a key, what a certificate states and
counts, what is refused, and that rotation keeps old certificates verifiable."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.points import certificates, ledger, signing
from gongzhi.points.models import Certificate, EntryKind, SigningKey
from gongzhi.points.signing import Reason

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


def _hours(holder, hours, source, *, at=None, area_path=None):
    at = at or dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    entry, _ = ledger.entry_post(
        holder=holder, kind=EntryKind.AWARD, points=10, hours=Decimal(hours), source=source,
        at=at, area_path=area_path,
    )  # fmt: skip
    return entry


@pytest.fixture
def volunteer(world):
    user = world.by_role[Role.VOLUNTEER]
    user.display_name = "张晓明"
    user.save(update_fields=["display_name"])
    return user


def _issue(user, start=START, end=END):
    return certificates.certificate_issue(actor=user, period_start=start, period_end=end)


def test_a_certificate_states_masked_name_hours_period_and_verifies(world, volunteer):
    _hours(volunteer, "2.5", "signup:1")
    _hours(volunteer, "3", "signup:2", at=dt.datetime(2026, 6, 30, 15, tzinfo=dt.UTC))
    certificate = _issue(volunteer)
    payload = json.loads(certificate.payload)
    assert payload["holder"] == "张*明" and "张晓明" not in certificate.payload
    assert payload["hours"] == "5.5" and certificate.hours == Decimal("5.5")
    assert (payload["period_start"], payload["period_end"]) == ("2026-01-01", "2026-06-30")
    assert payload["community_code"] == world.community_a.code
    assert payload["community_name"] == world.community_a.name
    assert payload["key_id"] == certificate.key.key_id and payload["alg"] == "ed25519"
    assert certificate.payload.encode() == signing.canonical(payload)
    result = certificates.certificate_verify(certificates.token_of(certificate))
    assert result.valid, result.message


def test_hours_outside_the_period_or_community_are_not_counted(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    _hours(volunteer, "7", "signup:2", at=dt.datetime(2025, 12, 31, 10, tzinfo=dt.UTC))
    _hours(volunteer, "9", "signup:3", area_path=world.community_b.path)
    assert _issue(volunteer).hours == Decimal("2.0")


def test_a_reversal_takes_its_hours_back(world, volunteer):
    entry = _hours(volunteer, "4", "signup:1")
    _hours(volunteer, "1", "signup:2")
    ledger.entry_reverse(entry=entry, reason="duplicate", actor=None)
    assert _issue(volunteer, end=clock.today()).hours == Decimal("1.0")


def test_zero_hours_are_refused(world, volunteer):
    with pytest.raises(ValidationError) as refused:
        _issue(volunteer)
    assert "period_start" in refused.value.message_dict
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2026, 6, 30), dt.date(2026, 1, 1), "period_end"),  # ends before it starts
        (None, END, "period_start"),
        (START, None, "period_end"),
        (dt.date(2019, 1, 1), END, "period_start"),  # more than five years
    ],
)
def test_a_bad_period_is_refused_naming_the_field(world, volunteer, start, end, field):
    _hours(volunteer, "2", "signup:1")
    with pytest.raises(ValidationError) as refused:
        _issue(volunteer, start, end)
    assert field in refused.value.message_dict


def test_a_period_ending_in_the_future_is_refused(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    with pytest.raises(ValidationError) as refused:
        _issue(volunteer, START, clock.today() + dt.timedelta(days=1))
    assert "period_end" in refused.value.message_dict


def test_an_account_of_no_community_cannot_get_one(world):
    with pytest.raises(ValidationError) as refused:
        _issue(world.outsider)
    assert "period_start" in refused.value.message_dict


def test_the_first_certificate_makes_the_key_and_audits_it(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    certificate = _issue(volunteer)
    assert SigningKey.objects.filter(community=world.community_a).count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"certificate.key_create", "certificate.issue"} <= actions
    ours = AuditEntry.objects.filter(action__startswith="certificate.")
    labels = " ".join(f"{e.object_label} {e.purpose}" for e in ours)
    assert "张" not in labels and certificate.serial in labels  # no name, even masked


def test_the_private_key_is_sealed_at_rest(world, volunteer):
    from django.db import connection

    key = certificates.signing_key_ensure(community=world.community_a)
    key.refresh_from_db()
    private = key.private_key.reveal()
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM points_signingkey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert private not in stored and len(private) == 64
    assert signing.public_of(key.algorithm, private) == key.public_key


def test_rotation_retires_the_old_key_and_old_certificates_still_verify(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    old = _issue(volunteer)
    new_key = certificates.signing_key_rotate(community=world.community_a, actor=world.secretary)
    old.key.refresh_from_db()
    assert old.key.retired_at is not None and new_key.retired_at is None
    assert new_key.key_id != old.key.key_id
    assert certificates.certificate_verify(certificates.token_of(old)).valid
    new = _issue(volunteer)
    assert new.key == new_key and json.loads(new.payload)["key_id"] == new_key.key_id
    assert certificates.certificate_verify(certificates.token_of(new)).valid
    assert AuditEntry.objects.filter(action="certificate.key_retire").count() == 1


def test_a_retired_key_never_signs(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    first = certificates.signing_key_ensure(community=world.community_a)
    certificates.signing_key_rotate(community=world.community_a, actor=world.secretary)
    for _ in range(3):
        assert _issue(volunteer).key_id != first.pk
    assert not Certificate.objects.filter(key=first).exists()


def test_a_certificate_claiming_a_date_after_its_key_retired_fails(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    with clock.freeze(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC)):
        key = certificates.signing_key_ensure(community=world.community_a)
        certificates.signing_key_rotate(community=world.community_a, actor=world.secretary)
    key.refresh_from_db()
    # Someone holding the old private key signs a new certificate after the retirement.
    payload = json.loads(_issue(volunteer).payload)
    payload.update(key_id=key.key_id, alg=key.algorithm)
    raw = signing.canonical(payload)
    private = key.private_key.reveal()
    token = signing.token_of(raw, signing.sign(key.algorithm, private, key.public_key, raw))
    assert certificates.certificate_verify(token).reason == Reason.KEY_RETIRED


def test_only_a_key_holder_of_the_community_rotates(world):
    for role in (Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.RESIDENT):
        with pytest.raises(Forbidden):
            certificates.signing_key_rotate(community=world.community_a, actor=world.by_role[role])
    with pytest.raises(Forbidden):  # the secretary of community A, not B
        certificates.signing_key_rotate(community=world.community_b, actor=world.secretary)
    with pytest.raises(ValidationError):  # keys belong to communities, not grids
        certificates.signing_key_ensure(community=world.grid_a1, actor=world.secretary)
    assert not SigningKey.objects.exists()


@override_settings(GONGZHI_CERTIFICATE_ALGORITHM="sm2")
def test_a_deployment_on_national_algorithms_signs_with_sm2(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    certificate = _issue(volunteer)
    assert certificate.key.algorithm == "sm2" and json.loads(certificate.payload)["alg"] == "sm2"
    assert certificates.certificate_verify(certificates.token_of(certificate)).valid


def test_switching_the_algorithm_applies_at_the_next_rotation(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    old = _issue(volunteer)
    with override_settings(GONGZHI_CERTIFICATE_ALGORITHM="sm2"):
        assert _issue(volunteer).key == old.key  # the current key keeps its algorithm
        key = certificates.signing_key_rotate(community=world.community_a, actor=world.secretary)
    assert key.algorithm == "sm2"
    assert certificates.certificate_verify(certificates.token_of(old)).valid


def test_the_keys_document_publishes_current_and_retired_keys(world, volunteer):
    first = certificates.signing_key_ensure(community=world.community_a)
    second = certificates.signing_key_rotate(community=world.community_a, actor=world.secretary)
    document = json.loads(json.dumps(certificates.keys_document()))
    keys = signing.keys_from_document(document)
    assert set(keys) == {first.key_id, second.key_id}
    assert keys[first.key_id].retired_at is not None and keys[second.key_id].retired_at is None
    assert "private" not in json.dumps(document)


def test_the_scope_list_follows_points_view(world, volunteer):
    _hours(volunteer, "2", "signup:1")
    certificate = _issue(volunteer)
    seen = certificates.certificates_in_scope
    assert list(seen(user=world.secretary)) == [certificate]
    assert list(seen(user=world.by_role[Role.STREET_OFFICER])) == [certificate]
    assert not seen(user=world.by_role[Role.POLICE]).exists()
    assert not seen(user=world.resident).exists()

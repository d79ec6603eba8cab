import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.audit.models import AuditVerification
from gongzhi.audit.services import audit_record


@pytest.fixture
def as_auditor(client, world):
    """The auditor, signed in and past the second factor."""
    auditor = world.by_role["auditor"]
    device = TOTPDevice.objects.create(user=auditor, name="phone", confirmed=True)
    client.force_login(auditor)
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(reverse("accounts:second_factor"), {"token": token})
    return client


def test_auditor_sees_the_log(as_auditor, world):
    response = as_auditor.get(reverse("audit:log"))
    assert response.status_code == 200
    assert any(e.action == "person.create" for e in response.context["page_obj"])


def test_log_filters_by_action_prefix(as_auditor, world):
    response = as_auditor.get(reverse("audit:log"), {"action": "household."})
    actions = {e.action for e in response.context["page_obj"]}
    assert actions == {"household.create"}


def test_log_filters_by_object(as_auditor, world):
    response = as_auditor.get(
        reverse("audit:log"),
        {"object_type": "registry.person", "object_id": str(world.person_a1.pk)},
    )
    assert [e.object_id for e in response.context["page_obj"]] == [str(world.person_a1.pk)]


def test_log_shows_purpose_of_a_reveal_escaped(as_auditor, world):
    audit_record(
        actor=world.grid_worker_a,
        action="person.reveal",
        obj=world.person_a1,
        area_path=world.person_a1.area_path,
        fields=["phone"],
        purpose="<b>电话回访</b>",
    )
    body = as_auditor.get(reverse("audit:log")).content.decode()
    assert "&lt;b&gt;电话回访&lt;/b&gt;" in body


def test_verify_now_records_an_intact_chain(as_auditor, world):
    response = as_auditor.post(reverse("audit:verify"))
    assert response.status_code == 302
    result = AuditVerification.objects.get()
    assert result.ok
    page = as_auditor.get(reverse("audit:log"))
    assert page.context["verification"] == result


def test_the_page_shows_where_a_broken_chain_breaks(as_auditor, world):
    AuditVerification.objects.create(
        at="2026-01-01T00:00:00Z", ok=False, entries=10, first_broken_seq=7, detail="altered"
    )
    body = as_auditor.get(reverse("audit:log")).content.decode()
    assert "#7" in body


def test_verify_is_post_only(as_auditor, world):
    assert as_auditor.get(reverse("audit:verify")).status_code == 405


def test_grid_worker_gets_404_on_the_audit_log(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("audit:log")).status_code == 404
    assert client.post(reverse("audit:verify")).status_code == 404
    assert not AuditVerification.objects.exists()


def test_unverified_auditor_is_sent_to_the_second_factor(client, world):
    client.force_login(world.by_role["auditor"])
    response = client.get(reverse("audit:log"))
    assert response.url == reverse("accounts:second_factor")

"""The inbox pages and the SMS outbox of the workbench."""

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Role
from gongzhi.notifications.models import Notification
from gongzhi.notifications.services import notify, sms_send


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.username == "sysadmin":  # must have passed TOTP
        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def sysadmin(world):
    return _client(world.by_role[Role.SYSTEM_ADMIN])


def test_the_inbox_lists_ones_own_messages_only(world):
    notify(recipients=[world.grid_worker_a], kind="k", title="给网格员")
    notify(recipients=[world.secretary], kind="k", title="给书记")
    body = _client(world.grid_worker_a).get("/inbox/").content.decode()
    assert "给网格员" in body and "给书记" not in body


def test_the_bell_include_counts_unread(world):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    notify(recipients=[world.grid_worker_a], kind="k", title="a")
    notify(recipients=[world.grid_worker_a], kind="k", title="b")
    request = RequestFactory().get("/")
    request.user = world.grid_worker_a
    html = render_to_string("notifications/_bell.html", {"request": request})
    assert 'bg-red text-white">2<' in html and 'href="/inbox/"' in html


def test_marking_one_and_all_read(world):
    client = _client(world.grid_worker_a)
    first, second = (
        notify(recipients=[world.grid_worker_a], kind="k", title=t)[0] for t in ("a", "b")
    )
    response = client.post("/inbox/read/", {"id": first.pk, "next": "/inbox/?unread=1"})
    assert response.status_code == 302 and response.url == "/inbox/?unread=1"
    assert Notification.objects.get(pk=first.pk).is_read
    assert not Notification.objects.get(pk=second.pk).is_read
    client.post("/inbox/read/", {"all": "1"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_read_requests_cannot_touch_others_or_redirect_elsewhere(world):
    theirs = notify(recipients=[world.secretary], kind="k", title="x")[0]
    response = _client(world.grid_worker_a).post(
        "/inbox/read/", {"id": theirs.pk, "next": "https://evil.example/"}
    )
    assert response.url == "/inbox/"
    assert not Notification.objects.get(pk=theirs.pk).is_read


def test_opening_a_message_marks_it_read_and_follows_its_link(world):
    note = notify(recipients=[world.grid_worker_a], kind="k", title="x", url="/register/")[0]
    response = _client(world.grid_worker_a).get(f"/inbox/open/?n={note.pk}")
    assert response.status_code == 302 and response.url == "/register/"
    assert Notification.objects.get(pk=note.pk).is_read


def test_opening_someone_elses_message_is_not_found(world):
    note = notify(recipients=[world.secretary], kind="k", title="x", url="/register/")[0]
    assert _client(world.grid_worker_a).get(f"/inbox/open/?n={note.pk}").status_code == 404
    assert _client(world.grid_worker_a).get("/inbox/open/?n=abc").status_code == 404


def test_a_message_pointing_off_site_opens_the_inbox_instead(world):
    note = notify(recipients=[world.grid_worker_a], kind="k", title="x", url="//evil.example/")[0]
    response = _client(world.grid_worker_a).get(f"/inbox/open/?n={note.pk}")
    assert response.url == "/inbox/"


def test_the_outbox_shows_masked_numbers_and_local_codes(sysadmin):
    sms_send(
        phone="13812345678", text="【共治】验证码 654321", kind="auth.sms_code", sensitive=True
    )
    body = sysadmin.get("/inbox/outbox/").content.decode()
    assert "138****5678" in body and "13812345678" not in body
    assert "654321" in body


def test_the_outbox_hides_codes_of_a_real_provider(sysadmin):
    with override_settings(GONGZHI_SMS_GATEWAY="http", GONGZHI_SMS_HTTP_URL="http://127.0.0.1:9/"):
        sms_send(
            phone="13812345678", text="【共治】验证码 654321", kind="auth.sms_code", sensitive=True
        )
        sms_send(phone="13812345678", text="【共治】停水通知", kind="notice")
        body = sysadmin.get("/inbox/outbox/?status=queued").content.decode()
    assert "654321" not in body and "••••••" in body and "停水通知" in body


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.GRID_WORKER, Role.RESIDENT, Role.AUDITOR])
def test_only_system_administrators_see_the_outbox(world, role):
    assert _client(world.by_role[role]).get("/inbox/outbox/").status_code in (404, 302)


def _csv_rows(response) -> list[list[str]]:
    import csv
    import io

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_inbox_exports_ones_own_messages_only(world):
    notify(recipients=[world.grid_worker_a], kind="k", title="给网格员", url="/orders/")
    notify(recipients=[world.secretary], kind="k", title="给书记")

    rows = _csv_rows(_client(world.grid_worker_a).get("/inbox/", {"export": "csv"}))

    assert [row[1] for row in rows[1:]] == ["给网格员"]
    assert rows[1][5] == "http://testserver/orders/"


def test_the_outbox_exports_as_shown_and_the_download_is_audited(sysadmin):
    from gongzhi.audit.models import AuditEntry

    with override_settings(GONGZHI_SMS_GATEWAY="http", GONGZHI_SMS_HTTP_URL="http://127.0.0.1:9/"):
        sms_send(
            phone="13812345678", text="【共治】验证码 654321", kind="auth.sms_code", sensitive=True
        )
        response = sysadmin.get("/inbox/outbox/", {"export": "csv"})
    rows = _csv_rows(response)

    text = repr(rows)
    assert "138****5678" in text and "13812345678" not in text
    assert "654321" not in text
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.object_label) == (
        "notifications.smsmessage",
        "notifications.outbox",
    )


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.RESIDENT])
def test_only_system_administrators_export_the_outbox(world, role):
    response = _client(world.by_role[role]).get("/inbox/outbox/", {"export": "csv"})

    assert response.status_code in (404, 302)

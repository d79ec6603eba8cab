"""The check-in page a venue's QR opens (/m/v/<code>/): one insert for a signed-in user or
a phone confirmed earlier today, a phone code for anyone else, clear refusals."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.services import user_link_person
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.health import venues
from gongzhi.health.checkin_views import CHECKIN_COOKIE, CHECKIN_SALT
from gongzhi.health.events import health_inputs_changed
from gongzhi.health.models import CheckIn, Venue
from gongzhi.health.tests.venue_factories import venue
from gongzhi.notifications.models import SmsMessage
from gongzhi.registry.rows import phone_index


def _url(place, suffix: str = "") -> str:
    return f"/m/v/{place.code}/{suffix}"


@pytest.fixture
def place(world):
    return venue(world.building_a1, name="幸福超市")


@pytest.fixture
def resident(world):
    user_link_person(user=world.resident, person=world.person_a1)
    world.resident.refresh_from_db()
    return world.resident


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- signed in: the scan is the check-in ---------------------------------------------------------


def test_a_signed_in_resident_is_checked_in_by_the_scan(world, place, resident):
    client = _signed_in(resident)
    before = AuditEntry.objects.count()
    response = client.get(_url(place))
    assert response.status_code == 200
    body = response.content.decode()
    assert "幸福超市" in body and "✓" in body
    row = CheckIn.objects.get()
    assert (row.venue_id, row.user_id, row.person_id) == (place.pk, resident.pk, world.person_a1.pk)
    assert row.area_path == place.area_path
    assert row.retain_until == clock.today() + dt.timedelta(days=14)
    assert AuditEntry.objects.count() == before  # audited per hour, not per row


def test_the_confirmation_is_in_chinese_by_default_and_follows_elder_mode(world, place, resident):
    resident.elder_mode = True
    resident.save(update_fields=["elder_mode"])
    body = _signed_in(resident).get(_url(place)).content.decode()
    assert "登记成功" in body
    assert 'class="checkin elder"' in body


def test_the_signed_in_check_in_adds_only_the_venue_read_and_one_insert(world, place, resident):
    client = _signed_in(resident)
    client.get("/m/")  # the session exists already, as it does for a resident on the go
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url(place)).status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    ours = [s for s in sqls if "health_" in s]
    assert len(ours) == 2
    assert ours[0].startswith("SELECT") and "health_venue" in ours[0]
    assert ours[1].startswith("INSERT") and "health_checkin" in ours[1]
    assert not [s for s in sqls if "audit_" in s]
    # The rest is every signed-in request's: session, user, roles, second-factor device,
    # and the session's save (in a savepoint inside the test's transaction).
    assert len(sqls) == 9, sqls


def test_a_check_in_runs_nothing_but_its_insert_even_after_commit(world, place, resident):
    # The status rules are not told (they would refresh the person inline, in the scan):
    # the periodic refresh finds contacts of red persons instead (test_status_refresh).
    heard = []

    def listener(sender, person_ids, **kwargs):
        heard.append(person_ids)

    health_inputs_changed.connect(listener)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
            _signed_in(resident).get(_url(place))
    finally:
        health_inputs_changed.disconnect(listener)
    assert heard == []
    assert CheckIn.objects.filter(person=world.person_a1).count() == 1


# --- refusals --------------------------------------------------------------------------------------


def test_an_unknown_code_is_404_in_chinese(world, resident):
    response = _signed_in(resident).get("/m/v/no-such-code/")
    assert response.status_code == 404
    assert "场所码" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_closed_venue_is_410(world, place, resident):
    venues.venue_close(actor=None, venue=place)
    response = _signed_in(resident).get(_url(place))
    assert response.status_code == 410
    assert "停用" in response.content.decode() or "关闭" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_expired_venue_is_410(world, resident):
    place = venue(world.building_a1, expires_on=clock.today())
    tomorrow = clock.now() + dt.timedelta(days=1, hours=1)
    with clock.freeze(tomorrow):
        response = _signed_in(resident).get(_url(place))
    assert response.status_code == 410
    assert "过期" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_unknown_code_is_404_for_anyone_before_the_phone_form(world):
    response = Client().get("/m/v/no-such-code/")
    assert response.status_code == 404
    assert Client().post("/m/v/no-such-code/code/", {"phone": "13900001111"}).status_code == 404
    assert not SmsMessage.objects.exists()


def test_a_link_from_another_site_does_not_check_in_by_itself(world, place, resident):
    client = _signed_in(resident)
    response = client.get(_url(place), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
    assert not CheckIn.objects.exists()
    assert client.post(_url(place)).status_code == 200
    assert CheckIn.objects.count() == 1


# --- not signed in: a phone code once a day ---------------------------------------------------


def _code(masked: str) -> str:
    message = SmsMessage.objects.filter(kind="health.checkin_code", to_masked=masked).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def test_a_visitor_confirms_their_phone_once_then_scans_are_one_insert(world, place):
    phone = world.person_a1.phone.reveal()
    client = Client()
    page = client.get(_url(place))
    assert page.status_code == 200 and not CheckIn.objects.exists()
    sent = client.post(_url(place, "code/"), {"phone": phone})
    assert sent.status_code == 302
    masked = f"{phone[:3]}****{phone[-4:]}"
    response = client.post(_url(place), {"code": _code(masked)})
    assert response.status_code == 200 and "幸福超市" in response.content.decode()
    row = CheckIn.objects.get()
    assert row.user_id is None
    assert row.phone_index == phone_index(phone)
    assert row.person_id == world.person_a1.pk  # the one register person with this number
    assert phone not in response.cookies[CHECKIN_COOKIE].value

    other = venue(world.building_a2, name="菜市场")
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(_url(other))
    assert again.status_code == 200
    assert len(ctx.captured_queries) == 2, [q["sql"] for q in ctx.captured_queries]
    assert CheckIn.objects.filter(venue=other, phone_index=phone_index(phone)).count() == 1
    assert SmsMessage.objects.filter(kind="health.checkin_code").count() == 1


def test_a_wrong_code_checks_nobody_in(world, place):
    client = Client()
    client.post(_url(place, "code/"), {"phone": "13900001111"})
    real = _code("139****1111")
    wrong = "000000" if real != "000000" else "111111"
    response = client.post(_url(place), {"code": wrong})
    assert response.status_code == 200
    assert "验证码" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert CHECKIN_COOKIE not in response.cookies


def test_an_expired_code_checks_nobody_in(world, place):
    client = Client()
    client.post(_url(place, "code/"), {"phone": "13900001111"})
    code = _code("139****1111")
    with clock.freeze(clock.now() + dt.timedelta(minutes=6)):
        response = client.post(_url(place), {"code": code})
    assert "过期" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_code_without_asking_for_one_is_refused(world, place):
    response = Client().post(_url(place), {"code": "123456"})
    assert response.status_code == 200
    assert not CheckIn.objects.exists()


def test_a_bad_phone_number_is_refused_naming_the_field(world, place):
    response = Client().post(_url(place, "code/"), {"phone": "010-1234567"})
    assert response.status_code == 200
    assert "11" in response.content.decode()
    assert not SmsMessage.objects.exists()


def test_a_visitor_not_in_the_register_is_checked_in_by_phone_alone(world, place):
    client = Client()
    client.post(_url(place, "code/"), {"phone": "13900001111"})
    client.post(_url(place), {"code": _code("139****1111")})
    row = CheckIn.objects.get()
    assert (row.person_id, row.phone_index) == (None, phone_index("13900001111"))


def _cookie(day: dt.date, index: str = "abc", person=None) -> str:
    return signing.dumps({"i": index, "p": person, "d": day.isoformat()}, salt=CHECKIN_SALT)


def test_yesterdays_confirmation_no_longer_counts(world, place):
    client = Client()
    client.cookies[CHECKIN_COOKIE] = _cookie(clock.today() - dt.timedelta(days=1))
    client.get(_url(place))
    assert not CheckIn.objects.exists()


def test_a_forged_confirmation_is_ignored(world, place):
    client = Client()
    forged = signing.dumps({"i": "abc", "p": None, "d": clock.today().isoformat()}, salt="other")
    client.cookies[CHECKIN_COOKIE] = forged
    client.get(_url(place))
    assert not CheckIn.objects.exists()
    client.cookies[CHECKIN_COOKIE] = _cookie(clock.today())
    client.get(_url(place))
    assert CheckIn.objects.get().phone_index == "abc"


# --- later scans of a venue: one statement that checks the venue as it inserts ------------------


def test_a_later_scan_is_one_insert_that_writes_the_same_row(world, place, resident):
    client = _signed_in(resident)
    client.get(_url(place))  # the first scan of this venue here reads its name
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url(place))
    assert response.status_code == 200 and "幸福超市" in response.content.decode()
    ours = [q["sql"] for q in ctx.captured_queries if "health_" in q["sql"]]
    assert len(ours) == 1 and ours[0].startswith("INSERT") and "health_venue" in ours[0]
    first, second = CheckIn.objects.order_by("pk")
    for field in ("venue_id", "area_path", "user_id", "person_id", "phone_index", "retain_until"):
        assert getattr(first, field) == getattr(second, field), field
    assert second.at >= first.at


def test_a_venue_closed_elsewhere_is_refused_at_the_next_scan(world, place, resident):
    client = _signed_in(resident)
    client.get(_url(place))
    Venue.objects.filter(pk=place.pk).update(closed_at=clock.now())  # another worker closed it
    response = client.get(_url(place))
    assert response.status_code == 410
    assert CheckIn.objects.count() == 1


def test_a_venue_expiring_is_refused_at_the_next_scan_after_its_last_day(world, resident):
    place = venue(world.building_a1, expires_on=clock.today())
    client = _signed_in(resident)
    assert client.get(_url(place)).status_code == 200
    with clock.freeze(clock.now() + dt.timedelta(days=1, hours=1)):
        assert client.get(_url(place)).status_code == 410
    assert CheckIn.objects.count() == 1


def test_a_replaced_code_is_unknown_at_once(world, place, resident):
    client = _signed_in(resident)
    client.get(_url(place))
    old = _url(place)
    venues.venue_rotate_code(actor=None, venue=place)
    assert client.get(old).status_code == 404
    assert CheckIn.objects.count() == 1


def test_a_visitors_later_scan_is_a_single_query(world, place):
    client = Client()
    client.cookies[CHECKIN_COOKIE] = _cookie(clock.today(), index="abcd")
    client.get(_url(place))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url(place)).status_code == 200
    assert len(ctx.captured_queries) == 1
    assert CheckIn.objects.filter(phone_index="abcd").count() == 2

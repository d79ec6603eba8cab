"""The points square end to end, as the issue asks (Playwright, phone viewport for the
resident): a resident signs up for an activity and sends a photo; the photo has no capture
time, so it is flagged and the grid worker must acknowledge that before approving; the
award lands in the ledger once; the resident redeems a reward and gets a voucher; staff at
the exchange point type the code and hand the reward over; the voucher shows it."""

import datetime as dt
import io
import re

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from gongzhi.accounts.services import user_link_person
from gongzhi.core import clock
from gongzhi.points import ledger
from gongzhi.points.activities import activity_create
from gongzhi.points.models import LedgerEntry, Proof, Redemption, Signup
from gongzhi.points.rewards import reward_create

from .conftest import PHONE
from .test_workorder_loop import _fits_the_screen, _sign_in


def _photo(tmp_path) -> str:
    """A photo-like picture with no EXIF (so no capture time: a flag for the reviewer)."""
    image = Image.new("RGB", (480, 360), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle((20 + i * 35, 40 + i * 20, 60 + i * 35, 120 + i * 15), fill=(i * 20, 80, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    path = tmp_path / "cleanup.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


def test_join_prove_approve_redeem_hand_over(world, new_page, tmp_path):
    resident, worker = world.resident, world.grid_worker_a
    user_link_person(user=resident, person=world.person_a1)  # a household in grid A1
    now = clock.now()
    activity = activity_create(
        actor=worker,
        area=world.grid_a1,
        kind="event",
        title="楼道清洁日",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3),
        proof_kind="photo",
        points=20,
        hours=2,
        publish=True,
    )
    rice = reward_create(
        actor=world.secretary, community=world.community_a, name="大米", price=15, stock=2
    )

    # The resident, on a phone: the activity, sign up, send a photo
    phone = new_page(viewport=PHONE)
    _sign_in(phone, resident.username, "/m/login/?with=password")
    expect(phone).to_have_url(re.compile(r"/m/$"))
    phone.goto("/m/points/")
    phone.get_by_role("link", name=re.compile("楼道清洁日")).click()
    phone.locator(f"form[action='/m/points/activities/{activity.pk}/signup/'] button").click()
    signup = Signup.objects.get(activity=activity, participant=resident)
    phone.locator(f"a[href='/m/points/signups/{signup.pk}/proof/']").click()
    phone.set_input_files("input[name=file]", _photo(tmp_path))
    phone.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(phone.locator(".proof-flag")).to_have_count(1)  # shown to the participant too
    assert _fits_the_screen(phone)
    proof = Proof.objects.get(signup=signup)
    assert proof.status == "submitted" and [f["code"] for f in proof.flags] == ["no_capture_time"]

    # The grid worker reviews: approving a flagged proof needs the acknowledgement
    desk = new_page()
    _sign_in(desk, worker.username)
    desk.goto("/points/review/")
    desk.locator(f"a[href='/points/review/{proof.pk}/']").click()
    desk.locator("input[name=action][value=approve]").check()
    desk.locator("form.card button[type=submit]").click()
    expect(desk.locator("input[name=acknowledge_flags]")).to_have_class(re.compile("is-invalid"))
    assert not LedgerEntry.objects.filter(source=f"signup:{signup.pk}").exists()
    desk.locator("input[name=action][value=approve]").check()
    desk.locator("input[name=acknowledge_flags]").check()
    desk.locator("form.card button[type=submit]").click()
    expect(desk).not_to_have_url(re.compile(rf"/points/review/{proof.pk}/$"))
    award = LedgerEntry.objects.get(source=f"signup:{signup.pk}")
    assert (award.holder_id, award.points, award.hours) == (resident.pk, 20, 2)
    assert ledger.balance_of(resident) == ledger.sum_of(resident) == 20

    # The resident redeems rice and gets a voucher
    phone.goto("/m/points/rewards/")
    phone.locator(f"a[href='/m/points/rewards/{rice.pk}/redeem/']").click()
    phone.locator("#confirm-redeem").click()
    code = phone.locator("#voucher-code").inner_text().strip()
    expect(phone.locator("#voucher-status")).to_have_attribute("data-status", "issued")
    assert _fits_the_screen(phone)
    redemption = Redemption.objects.get(holder=resident)
    assert redemption.voucher == code.replace(" ", "").replace("-", "")
    assert ledger.balance_of(resident) == ledger.sum_of(resident) == 5
    rice.refresh_from_db()
    assert rice.stock == 1

    # Staff at the exchange point type the code and hand the rice over
    desk.goto("/points/rewards/exchange/")
    desk.fill("input[name=code]", code)
    desk.locator("form[method=get] button[type=submit]").click()
    desk.locator("#hand-over").click()
    expect(desk.locator("#hand-over")).to_have_count(0)
    redemption.refresh_from_db()
    assert redemption.status == "handed_over" and redemption.handed_over_by_id == worker.pk

    phone.reload()
    expect(phone.locator("#voucher-status")).to_have_attribute("data-status", "handed_over")

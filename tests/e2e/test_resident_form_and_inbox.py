"""What only a browser shows (issue 12 §5): the request form hides the address at home and
the anonymity box for categories without it, previews photos; the unread count sits beside
the bell; the inbox's bulk bar waits for a tick, and the inbox fits a phone."""

import io
import re

from PIL import Image
from playwright.sync_api import expect

from gongzhi.accounts.services import user_link_person
from gongzhi.notifications.models import Notification
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.workorders.tests.factories import People, new_order

from .conftest import PHONE
from .test_workorder_loop import _fits_the_screen, _sign_in


def _photo(tmp_path) -> str:
    path = tmp_path / "tap.jpg"
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 80, 40)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_the_request_form_shows_only_what_applies(world, new_page, tmp_path):
    ensure_default_categories()
    user_link_person(user=world.resident, person=world.person_a1)
    Notification.objects.create(recipient=world.resident, kind="system", title="你好", url="/m/")
    page = new_page(viewport=PHONE)
    _sign_in(page, world.resident.username, "/m/login/?with=password")
    expect(page).to_have_url(re.compile(r"/m/$"))

    # The unread count sits beside the bell, not over it.
    bell = page.locator(".portal-bar .bell svg").bounding_box()
    count = page.locator(".portal-bar .bell .count").bounding_box()
    assert count["x"] >= bell["x"] + bell["width"] - 0.5

    page.goto("/m/orders/new/")
    address = page.locator(".address-field")
    anonymous = page.locator(".anonymous-field")
    expect(address).to_be_hidden()  # "At home" is chosen
    page.locator("input[name=where][value=elsewhere]").check()
    expect(address).to_be_visible()
    expect(anonymous).to_be_hidden()
    page.locator("label.choice-tile", has=page.locator("input[value=complaint]")).click()
    expect(anonymous).to_be_visible()
    page.locator("label.choice-tile", has=page.locator("input[value=repair]")).click()
    expect(anonymous).to_be_hidden()

    page.locator("input[name=photos]").set_input_files(_photo(tmp_path))
    expect(page.locator("#photo-previews img")).to_have_count(1)
    assert _fits_the_screen(page)


def test_the_bulk_bar_waits_for_a_tick_and_the_inbox_fits_a_phone(world, new_page):
    ensure_default_categories()
    order = new_order(People.of(world))
    desk = new_page()
    _sign_in(desk, world.grid_worker_a.username)
    desk.goto("/orders/")
    expect(desk.locator("#bulk-form")).to_be_hidden()
    desk.locator(f"input[name=orders][value='{order.pk}']").check()
    expect(desk.locator("#bulk-form")).to_be_visible()

    phone = new_page(viewport=PHONE)
    _sign_in(phone, world.grid_worker_a.username)
    phone.goto("/orders/")
    expect(phone.get_by_role("link", name=order.number)).to_be_visible()
    assert _fits_the_screen(phone)

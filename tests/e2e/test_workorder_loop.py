"""The work-order loop in real browsers (居民点单、社区派单、党员接单、群众评单): a resident
asks for help on a phone in elder mode; the grid worker dispatches to a suggested
volunteer; the volunteer accepts and resolves with a photo; the resident rates it."""

import io
import re

from PIL import Image
from playwright.sync_api import expect

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import user_link_person
from gongzhi.testing import PASSWORD
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.workorders.models import WorkOrder
from gongzhi.workorders.states import Status

from .conftest import PHONE


def _sign_in(page, username: str, path: str = "/login/") -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _photo(tmp_path) -> str:
    path = tmp_path / "after.jpg"
    image = Image.new("RGB", (320, 240), (30, 140, 90))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_resident_asks_grid_worker_dispatches_volunteer_resolves_resident_rates(
    world, new_page, tmp_path
):
    ensure_default_categories()
    resident = world.resident
    user_link_person(user=resident, person=world.person_a1)
    volunteer = world.by_role[Role.VOLUNTEER]

    # Given the resident on a phone, signed in at the portal, with elder mode on
    phone = new_page(viewport=PHONE)
    _sign_in(phone, resident.username, "/m/login/?with=password")
    expect(phone).to_have_url(re.compile(r"/m/$"))
    phone.locator("form[action='/m/elder/'] button[name=elder][value='1']").click()
    expect(phone.locator("body")).to_have_class(re.compile(r"\belder\b"))

    # When they ask for help: a repair, in their own words (the rest stays as it is)
    phone.goto("/m/orders/new/")
    assert not phone.locator("input[name=preferred_at]").is_visible()  # fewer fields
    phone.locator("label.choice-tile", has=phone.locator("input[value=repair]")).click()
    phone.fill("textarea[name=description]", "厨房水龙头一直漏水，关不紧。")
    assert _fits_the_screen(phone)
    phone.locator("form.ask-form button[type=submit]").click()

    # Then they see their request waiting, at their own address
    expect(phone.locator("#order-status")).to_have_attribute("data-status", "new")
    order = WorkOrder.objects.get()
    assert (order.person, order.household) == (world.person_a1, world.household_a1)

    # When the grid worker opens their inbox and dispatches to the suggested volunteer
    desk = new_page()
    _sign_in(desk, world.grid_worker_a.username)
    desk.goto("/orders/")
    desk.get_by_role("link", name=order.number).click()
    row = desk.locator(f"#suggestions tr.suggestion[data-user='{volunteer.username}']")
    expect(row).to_be_visible()
    row.locator("button[type=submit]").click()
    expect(desk.locator("#order-status")).to_have_attribute("data-status", "dispatched")

    # And the volunteer accepts it from their task list and resolves it with a photo
    helper = new_page(viewport=PHONE)
    _sign_in(helper, volunteer.username)
    helper.goto("/orders/tasks/")
    helper.locator(f".task[data-order='{order.pk}'] button[type=submit]").click()
    expect(helper.locator("#order-status")).to_have_attribute("data-status", "accepted")
    helper.fill("#resolve-note", "已更换阀芯，不再漏水。")
    helper.locator("#resolve-form input[type=file]").set_input_files(_photo(tmp_path))
    helper.locator("#resolve-form button[type=submit]").click()
    expect(helper.locator("#order-status")).to_have_attribute("data-status", "resolved")

    # Then the resident sees it resolved, with the photo, and rates it five stars
    phone.reload()
    expect(phone.locator("#order-status")).to_have_attribute("data-status", "resolved")
    expect(phone.locator("body")).to_have_class(re.compile(r"\belder\b"))
    photo = phone.locator(".timeline-list .photos img").first
    expect(photo).to_be_visible()
    # The photo loads lazily (loading="lazy"): scroll to it, as the resident would.
    photo.scroll_into_view_if_needed()
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    phone.locator("label.star-choice[for=rating-5]").click()
    phone.locator("#rate button[type=submit]").click()
    expect(phone.locator("#order-status")).to_have_attribute("data-status", "closed")
    assert _fits_the_screen(phone)

    order.refresh_from_db()
    assert (order.status, order.rating, order.assignee) == (Status.CLOSED, 5, volunteer)
    steps = list(order.timeline.values_list("action", flat=True))
    assert steps == ["create", "dispatch", "accept", "resolve", "rate"]

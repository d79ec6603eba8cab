"""A notice's read receipt, on a phone: a grid worker publishes a 停水通知 for one
building, a resident of that building opens it on /m/, and the notice's page shows it
read by one person and not read by the other resident of the building (masked)."""

import re

from playwright.sync_api import expect

from gongzhi.accounts.services import user_link_person
from gongzhi.notices.models import Notice, NoticeReceipt
from gongzhi.registry import services as registry
from gongzhi.testing import PASSWORD, make_id_number

from .conftest import PHONE


def _sign_in(page, username: str, path: str = "/login/") -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_staff_publish_for_a_building_a_resident_reads_it_staff_see_who_has_not(world, new_page):
    # Given building 1 with two households: 张晓明 (who has an account) and 李四海
    user_link_person(user=world.resident, person=world.person_a1)
    neighbours = registry.household_create(
        actor=None, building=world.building_a1, unit="1", room="102"
    )
    registry.person_create(
        actor=None, household=neighbours,
        data={"name": "李四海", "id_number": make_id_number(), "relation": "head"},
    )  # fmt: skip

    # When the grid worker publishes a 停水通知 for building 1 only, on a phone
    staff = new_page(viewport=PHONE)
    _sign_in(staff, world.grid_worker_a.username)
    staff.goto("/notices/new/")
    staff.fill("input[name=title]", "停水通知")
    staff.fill("textarea[name=body]", "明天 8:00–12:00 停水。\n请提前储水。")
    staff.check(f"input[name=targets][value='{world.building_a1.pk}']")
    staff.locator("form button[type=submit].btn-primary").click()
    expect(staff).to_have_url(re.compile(r"/notices/\d+/$"))
    notice = Notice.objects.get()
    assert [t.area_id for t in notice.targets.all()] == [world.building_a1.pk]
    expect(staff.get_by_test_id("count-read")).to_have_text("0")
    expect(staff.get_by_test_id("count-unread")).to_have_text("2")

    # and the resident opens it on their phone
    phone = new_page(viewport=PHONE)
    _sign_in(phone, world.resident.username, "/m/login/?with=password")
    expect(phone).to_have_url(re.compile(r"/m/$"))
    phone.goto("/m/notices/")
    card = phone.locator(".notice-cards a", has_text="停水通知")
    expect(card.locator(".notice-tag.unread")).to_be_visible()
    assert _fits_the_screen(phone)
    card.click()
    expect(phone.get_by_test_id("notice-body")).to_contain_text("请提前储水")
    assert _fits_the_screen(phone)
    phone.goto("/m/notices/")
    expect(phone.locator(".notice-cards a .notice-tag.unread")).to_have_count(0)

    # Then the staff page shows it read by one, and 李四海 (masked) not read yet
    staff.reload()
    expect(staff.get_by_test_id("count-read")).to_have_text("1")
    expect(staff.get_by_test_id("count-unread")).to_have_text("1")
    unread = staff.get_by_test_id("unread-list")
    expect(unread).to_contain_text("李*海")
    expect(unread).not_to_contain_text("张*明")
    assert "李四海" not in staff.content()
    receipt = NoticeReceipt.objects.get()
    assert (receipt.person_id, receipt.read_by_id) == (world.person_a1.pk, world.resident.pk)

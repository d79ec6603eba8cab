"""Emergency mode, end to end: the secretary switches the community to emergency, drafts a
plan that lists the elderly living alone per grid, a resident posts a shopping list on a
phone, a volunteer delivers it, the resident confirms, the big screen shows it; then back
to normal, and the data sunset date is set on what the emergency collected."""

import datetime as dt
import re

from playwright.sync_api import expect

from gongzhi.accounts.services import user_link_person
from gongzhi.core import clock
from gongzhi.emergency.models import (
    Mode,
    ModeState,
    ModeSwitch,
    Plan,
    ShoppingList,
    ShoppingStatus,
)
from gongzhi.notices.models import Notice
from gongzhi.notifications.models import Notification
from gongzhi.registry.services import person_tag_set
from gongzhi.workorders.defaults import ensure_default_categories

from .conftest import PHONE
from .test_workorder_loop import _fits_the_screen, _sign_in


def _column(page, table, header: str) -> int:
    """The index of the column headed `header` in `table` (a locator)."""
    headers = table.locator("thead th").all_inner_texts()
    return [h.strip() for h in headers].index(header)


def test_switch_plan_shopping_list_delivery_screen_and_back(world, new_page):
    ensure_default_categories()  # an earlier browser test's flush took the migrations' rows
    community = world.community_a
    # 李秀英 (grid 2, building 2栋) lives alone: the plan must count her in her grid
    person_tag_set(actor=None, person=world.person_a2, tag_codes=["elderly_alone"])
    resident = world.resident
    user_link_person(user=resident, person=world.person_a1)  # grid 1, building 1栋
    volunteer = world.by_role["volunteer"]

    # The secretary switches the community to emergency (a confirm step, a reason)
    desk = new_page()
    _sign_in(desk, world.secretary.username)
    desk.goto("/emergency/")
    row = desk.locator(f"form:has(input[name=community][value='{community.pk}'])")
    row.locator("select[name=kind]").select_option("epidemic")
    row.locator("input[name=reason]").fill("上级通知：辖区出现本土病例")
    row.locator("button[type=submit]").click()
    desk.locator("form:has(input[name=confirm]) button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/emergency/$"))
    state = ModeState.objects.get(area=community)
    assert (state.mode, state.kind) == (Mode.EMERGENCY, "epidemic")
    notice = Notice.objects.get(pk=ModeSwitch.objects.get(to_mode=Mode.EMERGENCY).notice_id)
    assert notice.kind == "urgent"
    # Staff, party members and volunteers are told (in the inbox, and by SMS where they
    # gave a number); the resident is told by the notice, not one by one
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert {world.grid_worker_a.pk, volunteer.pk, world.by_role["party_member"].pk} <= told
    assert resident.pk not in told

    # The workbench home leads with the emergency
    desk.goto("/")
    expect(desk.locator("body")).to_contain_text("应急")

    # A plan drafted from the register lists the elderly living alone per grid
    desk.goto("/emergency/plans/new/")
    desk.select_option("select[name=area]", str(community.pk))
    desk.select_option("select[name=kind]", "epidemic")
    desk.fill("input[name=title]", "玉岭社区疫情防控应急预案")
    desk.get_by_role("button", name="生成预案初稿").click()
    expect(desk).to_have_url(re.compile(r"/emergency/plans/\d+/$"))
    plan = Plan.objects.get(area=community)
    table = desk.locator(".table-responsive", has_text="各网格人员统计").locator("table")
    alone = _column(desk, table, "独居老人")
    second = table.locator("tbody tr", has_text="第二网格")
    first = table.locator("tbody tr", has_text="第一网格")
    assert second.locator("td").nth(alone).inner_text().strip() == "1"
    assert first.locator("td").nth(alone).inner_text().strip() == "0"
    assert world.person_a2.name not in desk.content()  # counts only, never a name
    assert plan.versions.count() == 1

    # A resident posts a shopping list on a phone
    phone = new_page(viewport=PHONE)
    _sign_in(phone, resident.username, "/m/login/?with=password")
    expect(phone).to_have_url(re.compile(r"/m/$"))
    expect(phone.locator("body")).to_contain_text("应急")
    phone.goto("/m/shopping/")
    rows = phone.locator("input[name=name]")
    rows.nth(0).fill("大米")
    phone.locator("input[name=quantity]").nth(0).fill("2")
    phone.locator("input[name=unit]").nth(0).fill("袋")
    rows.nth(1).fill("鸡蛋")
    phone.locator("input[name=quantity]").nth(1).fill("30")
    phone.locator("input[name=unit]").nth(1).fill("个")
    assert _fits_the_screen(phone)
    phone.get_by_role("button", name="提交清单").click()
    expect(phone.locator(".shop-items")).to_contain_text("大米 × 2袋")
    shopping = ShoppingList.objects.get()
    assert (shopping.household_id, shopping.status) == (world.household_a1.pk, ShoppingStatus.OPEN)
    assert {(i.name, i.quantity) for i in shopping.items.all()} == {("大米", 2), ("鸡蛋", 30)}

    # A volunteer sees it merged by building, starts a run and delivers the building
    helper = new_page()
    _sign_in(helper, volunteer.username)
    helper.goto(f"/emergency/deliveries/?area={community.pk}")
    expect(helper.locator("body")).to_contain_text("大米")
    helper.check(f"input[name=building_ids][value='{world.building_a1.pk}']")
    helper.get_by_role("button", name=re.compile("开始")).click()
    expect(helper).to_have_url(re.compile(r"/emergency/deliveries/runs?/\d+/$"))
    helper.locator("form:has(input[name=building_id]) button").first.click()
    expect(helper.locator("form:has(input[name=building_id])")).to_have_count(0)
    shopping.refresh_from_db()
    assert shopping.status == ShoppingStatus.DELIVERED
    assert shopping.workorder is not None and shopping.workorder.status == "resolved"

    # The resident confirms receipt and rates it (only the person served rates)
    phone.goto("/m/shopping/")
    phone.locator("label.star-choice:has(input[value='5'])").click()
    phone.get_by_role("button", name="我已收到").click()
    expect(phone.locator(".status-received")).to_be_visible()
    shopping.refresh_from_db()
    assert shopping.status == ShoppingStatus.RECEIVED

    # The big screen shows it (aggregated per grid, drawn with ECharts)
    desk.goto(f"/screen/{community.pk}/")
    expect(desk.locator("[data-figure=deliveries_received]")).to_have_text("1")
    expect(desk.locator("#screen-banner")).to_be_visible()
    expect(desk.locator("#screen-trends canvas")).to_have_count(1)  # ECharts drew the trends

    # Back to normal: the sunset date is set on what the emergency collected
    desk.goto("/emergency/")
    row = desk.locator(f"form:has(input[name=community][value='{community.pk}'])")
    row.locator("input[name=reason]").fill("疫情解除")
    row.locator("button[type=submit]").click()
    desk.locator("form:has(input[name=confirm]) button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/emergency/$"))
    state.refresh_from_db()
    assert state.mode == Mode.NORMAL
    back = ModeSwitch.objects.get(to_mode=Mode.NORMAL)
    assert back.sunset_on == clock.today() + dt.timedelta(days=30)
    shopping.refresh_from_db()
    assert shopping.retain_until == back.sunset_on
    expect(desk.locator("body")).to_contain_text(back.sunset_on.isoformat())

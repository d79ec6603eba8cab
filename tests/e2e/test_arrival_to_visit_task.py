"""Health services and outreach, end to end: a resident declares an arrival on a phone by
the community's QR link (no sign-in, a phone code), the grid worker sees it on the watch
list, a campaign to the watch list reaches the resident by SMS, and when no answer comes
the campaign asks the grid worker for a home visit."""

import datetime as dt
import re

from playwright.sync_api import expect

from gongzhi.core import clock
from gongzhi.core.masking import mask_phone
from gongzhi.health import declarations
from gongzhi.health.models import Declaration, WatchEntry
from gongzhi.notifications.models import SmsMessage
from gongzhi.outreach.dispatch import dispatch_round
from gongzhi.outreach.models import Attempt, Campaign, Recipient, RecipientState
from gongzhi.testing import PASSWORD
from gongzhi.visits.models import VisitTask

from .conftest import PHONE


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_declared_arrival_reaches_the_watch_list_a_campaign_and_a_visit_task(
    world, new_page, worker
):
    person = world.person_a1  # 张晓明, building 1 of grid A1
    key = declarations.community_key(world.community_a)

    # A resident scans the community's QR on a phone: no sign-in, a code confirms the number
    phone = new_page(viewport=PHONE)
    phone.goto(f"/m/declare/{key}/")
    phone.fill("input[name=name]", person.name)
    phone.fill("input[name=id_number]", person.id_number.reveal())
    phone.fill("input[name=phone]", person.phone.reveal())
    phone.fill("input[name=origin]", "武汉市")
    phone.fill("input[name=arrived_on]", (clock.today() - dt.timedelta(days=1)).isoformat())
    phone.check("input[name=travel_mode][value=train]")
    phone.select_option("select[name=building]", str(world.building_a1.pk))
    phone.fill("input[name=room]", "1-101")
    phone.check("input[name=symptoms][value=none]")
    assert _fits_the_screen(phone)
    phone.get_by_role("button", name="向此号码发送验证码").click()
    expect(phone.locator("input[name=code]")).to_be_visible()
    text = SmsMessage.objects.filter(kind="health.declare_code").latest("pk").text
    phone.fill("input[name=code]", re.search(r"\d{6}", text).group(0))
    phone.get_by_role("button", name="提交登记").click()
    expect(phone).to_have_url(re.compile(rf"/m/declare/{key}/done/"))

    declaration = Declaration.objects.get()
    assert (declaration.person_id, declaration.status) == (person.pk, "matched")
    entry = WatchEntry.objects.get(declarations=declaration)
    assert entry.upstream_list_id is None and entry.assignee_id == world.grid_worker_a.pk

    # The grid worker finds it on the watch list, opened by the declaration
    desk = new_page()
    _sign_in(desk, world.grid_worker_a.username)
    desk.goto("/health/watchlist/")
    expect(desk.locator(f"a[href='/health/watchlist/{entry.pk}/']")).to_be_visible()
    desk.goto(f"/health/watchlist/{entry.pk}/")
    expect(desk.locator("body")).to_contain_text("由返乡登记生成")

    # The secretary sends a campaign to the watch list: SMS, then a home visit
    staff = new_page()
    _sign_in(staff, world.secretary.username)
    staff.goto("/outreach/new/")
    staff.select_option("select[name=area]", str(world.community_a.pk))
    staff.fill("input[name=name]", "返乡人员报到提醒")
    staff.select_option("select[name=audience_kind]", "watch_list")
    staff.fill("textarea[name=sms_text]", "请回复 1 报到，如需帮助回复 2。")
    staff.select_option("select[name=channel_1]", "sms")
    staff.select_option("select[name=channel_2]", "visit")
    staff.select_option("select[name=channel_3]", "")
    staff.select_option("select[name=channel_4]", "")
    staff.fill("input[name=answer_minutes]", "30")
    staff.locator("#campaign-form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/outreach/\d+/$"))
    campaign = Campaign.objects.get()
    staff.locator("button[name=action][value=start]").click()
    expect(staff.locator("#n-total")).to_have_text("1")

    # The worker sends the SMS (the local gateway: the outbox on the campaign's page)
    worker.go.set()
    expect(staff.locator("#n-sent")).to_have_text("1", timeout=20_000)
    worker.pause()
    attempt = Attempt.objects.get(campaign=campaign)
    assert (attempt.channel, attempt.recipient.person_id) == ("sms", person.pk)
    staff.reload()
    outbox = staff.locator("#outbox")
    expect(outbox).to_contain_text("请回复 1 报到")
    expect(outbox).to_contain_text(mask_phone(person.phone.reveal()))
    assert person.phone.reveal() not in staff.content()

    # Nobody answers: 31 minutes later the campaign asks the grid worker for a visit
    # (a running clock half an hour ahead: a frozen one would never let a round's time pass)
    dispatch_round(
        campaign.pk, budget_seconds=5, now=lambda: clock.now() + dt.timedelta(minutes=31)
    )
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.state == RecipientState.ESCALATED
    task = VisitTask.objects.get(source=f"campaign:{campaign.pk}")
    assert (task.household_id, task.assignee_id) == (person.household_id, world.grid_worker_a.pk)
    staff.reload()
    expect(staff.locator("#n-escalated")).to_have_text("1")

    desk.goto("/visits/")
    expect(desk.locator("#visit-tasks")).to_contain_text("返乡人员报到提醒")
    assert _fits_the_screen(phone)

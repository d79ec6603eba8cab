"""The resident portal on a phone: a resident signs in with an SMS code read from the
development outbox, turns elder mode on, and sees their household and their messages."""

import re

from playwright.sync_api import expect

from gongzhi.accounts.services import user_link_person, user_set_phone
from gongzhi.notifications.models import SmsMessage
from gongzhi.notifications.services import notify

from .conftest import PHONE

NUMBER = "13912340000"


def _font_size(page, selector: str) -> float:
    return page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_resident_signs_in_by_sms_turns_on_elder_mode_and_sees_household_and_inbox(world, new_page):
    # Given a resident of household A1 with a mobile number, and a message for them
    resident = world.resident
    user_set_phone(user=resident, phone=NUMBER)
    user_link_person(user=resident, person=world.person_a1)
    notify(recipients=[resident], kind="notice", title="明天停水", body="9:00–12:00")

    # When they open the portal on a phone, they are asked to sign in
    page = new_page(viewport=PHONE)
    page.goto("/m/")
    expect(page).to_have_url(re.compile(r"/m/login/"))
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))
    assert _fits_the_screen(page)

    # and ask for a code for their number
    page.fill("input[name=phone]", NUMBER)
    page.locator("form[action='/m/login/code/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("139****0000")
    assert NUMBER not in page.content()

    # Then the code is in the development outbox, and signs them in
    message = SmsMessage.objects.get(to_masked="139****0000")
    assert message.gateway == "local"
    code = re.search(r"\d{6}", message.text).group()
    page.fill("input[name=code]", code)
    page.locator("form:has(input[name=code]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/m/$"))

    # and the home page shows their household, the phone masked
    main = page.locator("main")
    expect(main).to_contain_text(world.household_a1.address)
    expect(main).to_contain_text("张晓明")
    expect(main).to_contain_text(str(world.person_a1.phone))
    assert world.person_a1.phone.reveal() not in page.content()
    expect(page.locator(".bell .count")).to_have_text("1")
    assert _fits_the_screen(page)
    normal_size = _font_size(page, "main h1")
    normal_button = page.locator("form[action='/m/elder/'] button").bounding_box()["height"]

    # When they turn elder mode on
    page.locator("form[action='/m/elder/'] button[name=elder][value='1']").click()

    # Then the page has larger text and bigger buttons, still fits the phone
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    assert _font_size(page, "main h1") >= normal_size * 1.25
    elder_button = page.locator("form[action='/m/elder/'] button").bounding_box()["height"]
    assert elder_button > normal_button and elder_button >= 56
    assert _fits_the_screen(page)

    # and it stays on after reloading (kept on the account)
    page.reload()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    resident.refresh_from_db()
    assert resident.elder_mode

    # And the inbox shows the message, in elder mode too
    page.locator(".bell").click()
    expect(page).to_have_url(re.compile(r"/m/inbox/"))
    expect(page.locator("main")).to_contain_text("明天停水")
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    page.locator("form:has(input[name=all]) button[type=submit]").click()
    expect(page.locator(".bell .count")).to_have_count(0)

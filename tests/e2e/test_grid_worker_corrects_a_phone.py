"""The foundation's story in a real browser: a grid worker finds a person by pinyin, opens
the household, corrects a phone number; the auditor (after TOTP) sees the entry."""

import re

import pyotp
from django.utils import translation
from django.utils.translation import pgettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from gongzhi.accounts.models import Role
from gongzhi.registry.models import Person
from gongzhi.testing import PASSWORD

NEW_PHONE = "13712345678"


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def test_grid_worker_corrects_a_phone_and_the_auditor_sees_it(world, new_page):
    # Given a grid worker of grid A1, signed in, in a Chinese workbench
    page = new_page()
    sign_in(page, world.grid_worker_a.username)
    expect(page.locator("html")).to_have_attribute("lang", re.compile("zh"))

    # When they search households by the initials of 张晓明 and open the result
    page.goto("/register/households/")
    page.fill("input[name=q]", "zxm")
    page.keyboard.press("Enter")
    row_link = page.get_by_role("link", name=world.household_a1.address)
    expect(row_link).to_be_visible()
    page.get_by_role("link", name=world.household_a2.address).wait_for(state="detached")
    row_link.click()

    # Then the household page lists 张晓明 with a masked phone
    expect(page.locator("h1, .page-title").first).to_contain_text(world.household_a1.address)
    old_phone = world.person_a1.phone.reveal()
    assert old_phone not in page.content()
    page.get_by_role("link", name="张晓明").first.click()

    # When they correct the phone on the person's edit page
    page.locator(f"a[href$='/register/persons/{world.person_a1.pk}/edit/']").click()
    page.fill("input[name=phone]", NEW_PHONE)
    page.locator("form:has(input[name=phone]) button[type=submit]").click()

    # Then the person page shows the new number masked, and the register holds it
    expect(page.locator("body")).to_contain_text("137****5678")
    assert NEW_PHONE not in page.content()
    assert Person.objects.get(pk=world.person_a1.pk).phone.reveal() == NEW_PHONE

    # And the auditor, after the second factor, sees who changed which field
    auditor = world.by_role[Role.AUDITOR]
    device = TOTPDevice.objects.create(user=auditor, name="auditor phone", confirmed=True)
    audit_page = new_page()
    sign_in(audit_page, auditor.username)
    expect(audit_page).to_have_url(re.compile("/account/2fa/"))
    audit_page.fill("input[name=token]", pyotp.TOTP(_base32(device.bin_key)).now())
    audit_page.locator("form:has(input[name=token]) button[type=submit]").click()
    audit_page.goto("/audit/?action=person.update")
    # The log names actions, users and fields in the reader's language (here Chinese); the
    # codes stay in the links' titles.
    row = audit_page.locator("tr", has=audit_page.locator("a[title='person.update']")).first
    expect(row.locator(f"a[title='{world.grid_worker_a.username}']")).to_be_visible()
    with translation.override("zh-hans"):
        expect(row).to_contain_text(pgettext("audit field", "phone"))
    assert NEW_PHONE not in audit_page.content()


def _base32(raw: bytes) -> str:
    import base64

    return base64.b32encode(raw).decode()

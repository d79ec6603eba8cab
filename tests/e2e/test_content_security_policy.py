"""The content security policy in a real browser: the workbench's htmx search and Tabler's
dropdown still work, and no page reports a blocked script or style."""

from playwright.sync_api import expect

from gongzhi.testing import PASSWORD


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_htmx_and_tabler_work_under_the_policy_and_nothing_is_blocked(world, new_page):
    page = new_page()
    blocked = _violations(page)
    page.goto("/login/")
    page.fill("input[name=username]", world.grid_worker_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()

    # htmx: typing in the search swaps the list without a page load
    page.goto("/register/households/")
    with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
        page.fill("input[name=q]", "zxm")
    expect(page.get_by_role("link", name=world.household_a1.address)).to_be_visible()
    page.get_by_role("link", name=world.household_a2.address).wait_for(state="detached")

    # Tabler (Bootstrap): the account menu opens
    page.get_by_label("账户").first.click()
    expect(page.locator(".dropdown-menu.show")).to_be_visible()

    for path in ("/", "/orders/", "/m/login/"):
        page.goto(path)
    assert blocked == []

"""Day one of a community that is not in the demo, in real browsers, from an empty database:
`gongzhi setup` appoints the secretary (texted a link) → `gongzhi areas import` loads the
grids, compounds and buildings → the secretary sets a password from the link and creates a
grid worker on the accounts pages → the grid worker sets theirs and imports the register,
confirming a building that did not exist → a party member reports in on a phone (SMS code)
→ the secretary approves and pairs them with 8 households → a resident of one of them signs
in by SMS code and asks for help, and the order's dispatch ranks their party member first;
dispatched, it is in the party member's tasks → the grid worker logs a visit."""

import io
import re

import openpyxl
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.imports.models import ImportBatch
from gongzhi.notifications.models import SmsMessage
from gongzhi.registry.models import Area, AreaKind, Household, Person
from gongzhi.testing import ensure_reference_data, make_id_number
from gongzhi.visits.models import Visit
from gongzhi.workorders import reportin
from gongzhi.workorders.defaults import ensure_default_categories
from gongzhi.workorders.models import Pairing, ReportIn, ReportInStatus, WorkOrder

from .conftest import PHONE
from .test_import_spreadsheet import HEADER

PASSWORD = "Lantern-river-42!"
NAMES = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十"]
PHONES = [f"1391234{n:04d}" for n in range(10)]
PARTY_PHONE = "13655550000"


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def link_path(user: User) -> str:
    """The password link the SMS outbox holds for `user` (the local gateway keeps the text)."""
    message = SmsMessage.objects.filter(recipient=user, kind="account.link").latest("pk")
    return "/account/link/" + message.text.split("/account/link/")[1].split()[0]


def set_password_from_link(page, user: User) -> None:
    page.goto(link_path(user))
    expect(page).to_have_url(re.compile(r"/account/link/$"))  # the token leaves the address
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.locator("form:has(input[name=new_password1]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def sms_code(masked: str) -> str:
    message = SmsMessage.objects.filter(to_masked=masked).latest("pk")
    return re.search(r"\d{6}", message.text).group()


def structure_file(path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["小区", "楼栋", "网格", "单元数", "层数"])
    sheet.append(["玉岭花园", "1栋", "第一网格", 2, 6])
    sheet.append(["玉岭花园", "2栋", "第一网格", 2, 6])
    sheet.append(["桂花苑", "1栋", "第二网格", 1, 5])
    book.save(path)


def register_file(path) -> None:
    """Eight households in 玉岭花园 1栋 and two in 3栋, which the structure did not have."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i, name in enumerate(NAMES):
        building = "1栋" if i < 8 else "3栋"
        room = str(101 + i) if i < 8 else str(201 + i)
        sheet.append(
            [
                i + 1,
                name,
                make_id_number(),
                PHONES[i],
                "玉岭花园",
                building,
                "1",
                room,
                "户主",
                "首日",
            ]
        )
    book.save(path)


def test_day_one_setup_staff_register_reportin_pairing_request_and_visit(
    db, new_page, worker, tmp_path
):
    ensure_reference_data()
    ensure_default_categories()
    assert not Area.objects.filter(kind=AreaKind.COMMUNITY).exists()
    assert not User.objects.exists()

    # 1. Setup: the administrator, the path down to the community, its first secretary
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    with translation.override("en"):  # the command's language, not left active after it
        call_command(
            "setup",
            no_input=True,
            language="en",
            admin_username="chief",
            admin_password_file=str(password_file),
            district="421087",
            street_code="421087001",
            street_name="新江口街道",
            community_code="421087001003",
            community_name="玉岭社区",
            secretary_username="yuling.sec",
            secretary_name="李书记",
            secretary_phone="13907161234",
            stdout=io.StringIO(),  # the QR code and the key: noise here
        )
    community = Area.objects.get(kind=AreaKind.COMMUNITY, code="421087001003")
    assert Membership.objects.get(user__username="chief").role == Role.SYSTEM_ADMIN
    secretary = User.objects.get(username="yuling.sec")
    assert Membership.objects.get(user=secretary).role == Role.SECRETARY
    assert not secretary.has_usable_password()

    # 2. The structure: two grids, two compounds, three buildings
    structure = tmp_path / "结构.xlsx"
    structure_file(structure)
    call_command(
        "areas", "import", str(structure), "--community", "421087001003", "--commit",
        stdout=io.StringIO(),
    )  # fmt: skip
    grid1 = Area.objects.get(kind=AreaKind.GRID, name="第一网格", path__startswith=community.path)
    assert Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path).count() == 2
    assert Area.objects.filter(kind=AreaKind.COMPOUND, parent=community).count() == 2
    assert Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=grid1.path).count() == 2

    # 3. The secretary sets a password from the texted link, signs in, creates a grid worker
    desk = new_page()
    set_password_from_link(desk, secretary)
    sign_in(desk, "yuling.sec")
    desk.goto("/staff/new/")
    desk.fill("input[name=display_name]", "张网格")
    desk.fill("input[name=username]", "zhang.grid")
    desk.fill("input[name=phone]", "13800001111")
    desk.select_option("select[name=area]", str(grid1.pk))
    desk.select_option("select[name=role]", Role.GRID_WORKER)
    desk.locator("form:has(input[name=username]) button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/staff/\d+/$"))
    grid_worker = User.objects.get(username="zhang.grid")
    assert desk.url.endswith(f"/staff/{grid_worker.pk}/")
    expect(desk.locator("body")).to_contain_text("zhang.grid")
    membership = Membership.objects.get(user=grid_worker)
    assert (membership.role, membership.area) == (Role.GRID_WORKER, grid1)
    assert not grid_worker.has_usable_password()

    # 4. The grid worker sets a password from their link and imports the register; one
    #    building in it (玉岭花园 3栋) is not in the structure: confirmed, it is created
    gw = new_page()
    set_password_from_link(gw, grid_worker)
    sign_in(gw, "zhang.grid")
    register = tmp_path / "玉岭花园.xlsx"
    register_file(register)
    gw.goto("/register/imports/new/")
    gw.set_input_files("input[name=file]", str(register))
    gw.locator("form:has(input[name=file]) button[type=submit]").click()
    expect(gw.locator("select[name=building]")).to_have_value("5")
    gw.locator("button[name=action][value=check]").click()
    worker.go.set()
    new_buildings = gw.get_by_test_id("import-new-buildings")
    expect(new_buildings).to_be_visible(timeout=30_000)
    worker.pause()
    expect(new_buildings).to_contain_text("3栋")
    batch = ImportBatch.objects.get()
    assert batch.status == "checked" and batch.rows_total == 10
    assert not Area.objects.filter(kind=AreaKind.BUILDING, name="3栋").exists()
    new_buildings.locator("input[name=create_buildings]").check()
    gw.locator("button[name=action][value=commit]").click()
    worker.go.set()
    expect(gw.locator("a[href^='/register/persons/']").first).to_be_visible(timeout=30_000)
    worker.pause()
    batch.refresh_from_db()
    assert (batch.status, batch.rows_created, batch.rows_failed) == ("committed", 10, 0)
    three = Area.objects.get(kind=AreaKind.BUILDING, name="3栋")
    assert three.parent == grid1 and three.compound.name == "玉岭花园"
    assert Person.objects.filter(notes="首日").count() == 10
    assert Household.objects.filter(building=three).count() == 2
    one = Area.objects.get(kind=AreaKind.BUILDING, name="1栋", path__startswith=grid1.path)
    households = list(Household.objects.filter(building=one).order_by("pk"))
    assert len(households) == 8

    # 5. A party member reports in on a phone, proving their number with an SMS code
    party = new_page(viewport=PHONE)
    party.goto("/m/volunteer/")
    party.fill("input[name=phone]", PARTY_PHONE)
    party.locator("form:has(input[name=phone]) button[type=submit]").click()
    expect(party.locator("input[name=code]")).to_be_visible()
    party.fill("input[name=code]", sms_code("136****0000"))
    party.fill("input[name=name]", "刘党员")
    party.locator("input[name=kind][value=party_member]").check()
    party.fill("input[name=organisation]", "松滋市供电公司")
    party.select_option("select[name=community]", str(community.pk))
    party.select_option("select[name=grid]", str(grid1.pk))
    party.locator("input[name=skills][value=errands]").check()
    party.locator("form:has(input[name=kind]) button[type=submit]").click()
    expect(party.locator("form[action='/m/volunteer/withdraw/']")).to_be_visible()
    report = ReportIn.objects.get()
    member = report.user
    assert (report.status, report.kind, report.grid) == (
        ReportInStatus.PENDING,
        "party_member",
        grid1,
    )
    assert party.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The secretary approves it and pairs the party member with the 8 households of 1栋
    desk.goto("/orders/volunteers/")
    desk.locator(f"a[href='/orders/volunteers/reportins/{report.pk}/']").click()
    expect(desk.locator("select[name=grid]")).to_have_value(str(grid1.pk))
    desk.locator(f"form[action='/orders/volunteers/reportins/{report.pk}/approve/'] button").click()
    expect(desk).to_have_url(re.compile(rf"/orders/volunteers/{member.pk}/$"))
    report.refresh_from_db()
    assert report.status == ReportInStatus.APPROVED
    assert Membership.objects.get(user=member, is_active=True).area == grid1
    for household in households:
        desk.locator(f"#hh-{household.pk}").check()
    desk.locator(f"form[action='/orders/volunteers/{member.pk}/pairings/'] button").click()
    # Saved: the page comes back listing them as served (checked as rendered, not as ticked)
    expect(desk.locator("input[name=households][checked]")).to_have_count(8)
    paired = set(Pairing.objects.filter(handler=member, is_active=True).values_list("household_id", flat=True))  # fmt: skip
    assert paired == {h.pk for h in households}
    # The party member sees the households they now serve, on their phone
    party.goto("/m/volunteer/")
    expect(party.locator("section[aria-labelledby=mine-title] li")).to_have_count(8)

    # A volunteer with the repair skill in the same grid, pairing nobody: without the
    # pairing they would rank above the party member for a repair (the control).
    reportin.reportin_add(
        actor=secretary, phone="13655551111", name="吴师傅", kind="volunteer", grid=grid1,
        skills=["repair"],
    )  # fmt: skip
    fixer = User.objects.get(display_name="吴师傅")

    # 6. The head of the first paired household signs in on /m/ by SMS code (an account
    #    made from the register at the first sign-in) and asks for a repair
    resident = new_page(viewport=PHONE)
    resident.goto("/m/login/")
    resident.fill("input[name=phone]", PHONES[0])
    resident.locator("form:has(input[name=phone]) button[type=submit]").first.click()
    expect(resident.locator("input[name=code]")).to_be_visible()
    resident.fill("input[name=code]", sms_code(PHONES[0][:3] + "****" + PHONES[0][-4:]))
    resident.locator("form:has(input[name=code]) button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/m/$"))
    resident.goto("/m/orders/new/")
    resident.locator("label.choice-tile", has=resident.locator("input[value=repair]")).click()
    resident.fill("textarea[name=description]", "卫生间下水道堵了。")
    resident.locator("form.ask-form button[type=submit]").click()
    expect(resident.locator("#order-status")).to_have_attribute("data-status", "new")
    order = WorkOrder.objects.get()
    assert order.household == households[0] and order.person.name == NAMES[0]

    # The grid worker's dispatch ranks the paired party member first, above the fixer
    gw.goto("/orders/")
    gw.get_by_role("link", name=order.number).click()
    rows = gw.locator("#suggestions tr.suggestion")
    expect(rows.first).to_have_attribute("data-user", member.username)
    expect(rows.first.locator(".badge")).to_be_visible()  # "paired"
    expect(rows.nth(1)).to_have_attribute("data-user", fixer.username)  # the skill, no pairing
    scores = [float(rows.nth(i).locator("td.font-monospace").inner_text()) for i in (0, 1)]
    assert scores[0] - 40 < scores[1] < scores[0]  # the pairing's 40 points put them first
    rows.first.locator("button[type=submit]").click()
    expect(gw.locator("#order-status")).to_have_attribute("data-status", "dispatched")
    order.refresh_from_db()
    assert list(order.offers.values_list("handler", flat=True)) == [member.pk]
    # ... and it is in the party member's tasks, on the phone they reported in with
    party.goto("/orders/tasks/")
    expect(party.locator(f".task[data-order='{order.pk}']")).to_be_visible()

    # 7. The grid worker logs a visit to another paired household from its page
    visited = households[1]
    gw.goto(f"/register/households/{visited.pk}/")
    gw.locator(f"a[href='/visits/households/{visited.pk}/new/']").first.click()
    expect(gw).to_have_url(re.compile(rf"/visits/households/{visited.pk}/new/$"))
    gw.locator("input[name=persons]").first.check()
    gw.fill("textarea[name=notes]", "入户走访，老人身体尚好。")
    gw.locator("form:has(textarea[name=notes]) button[type=submit]").click()
    expect(gw).to_have_url(re.compile(rf"/register/households/{visited.pk}/$"))
    visit = Visit.objects.get()
    assert (visit.household, visit.visitor) == (visited, grid_worker)
    assert [p.name for p in visit.persons.all()] == [NAMES[1]]
    gw.goto(f"/visits/households/{visited.pk}/")
    expect(gw.locator("body")).to_contain_text("张网格")

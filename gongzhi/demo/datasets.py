"""Demo data of issue 3: vaccinations, an upstream list per community matched into its
watch list with some follow-ups done, and the three ready-made reports filled once.

- **Vaccinations** (疫苗接种): most residents aged 3+ have had one dose, fewer two, about
  half three, with the dates of the 2021–2022 campaign; written in bulk (`bulk.Inserter`)
  with one audit entry per community, as the register itself is.
- **Upstream list** (省大数据中心推送): about 60–120 rows per community: registered
  persons named by ID number (some typed with a lower-case x or full-width digits), by
  name and phone, or by name and birth date, a few namesakes, and arrivals who are not in
  the register with an address in one of the community's compounds (routed to its grid)
  or an address that cannot be routed. Uploaded and matched through the services.
- **Follow-ups**: the demo grid worker's and the secretary's first entries reviewed,
  verified and closed, as they would be in the workbench.
- **Reports**: 重点人员排查表, 独居老人关爱台账, 疫苗接种统计表 for every community, filled
  once by its secretary; the vaccination table is scheduled weekly.
- **A duplicate record**: one resident of the demo grid worker's grid registered a second
  time under a mistyped ID number, for **Imports → Duplicate persons** to propose a merge.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from gongzhi.accounts.models import User
from gongzhi.audit.services import audit_record
from gongzhi.core.fields import reveal
from gongzhi.core.identity import id_check_digit
from gongzhi.demo.bulk import Inserter
from gongzhi.demo.load import LoadedCommunity
from gongzhi.health import services as health
from gongzhi.health.models import UpstreamList, Vaccination, WatchEntry, WatchEvent
from gongzhi.health.uploads import remove
from gongzhi.registry import rows as register_rows
from gongzhi.registry import services as registry
from gongzhi.registry import transfers
from gongzhi.registry.models import PRESENT_RESIDENCY, AreaKind, Household, Person
from gongzhi.reports import services as reports
from gongzhi.reports.models import Report, ReportTemplate

Say = Callable[[str], Any]

VACCINES = ("新冠病毒灭活疫苗（Vero细胞）", "重组新冠病毒疫苗（CHO细胞）")
CAMPAIGN_START = dt.date(2021, 3, 15)
AS_OF = dt.date(2022, 6, 30)  # every dose is before this, whatever day the demo loads
ORIGINS = ("武汉市", "上海市", "广州市", "深圳市", "北京市", "西安市", "成都市", "杭州市",
           "郑州市", "合肥市", "长沙市", "南京市", "天津市", "吉林市", "石家庄市")  # fmt: skip
HEADER = ["序号", "姓名", "身份证号码", "手机号码", "来源地", "到达日期", "现住址", "数据来源"]
SOURCE = "省大数据中心"


def _rng(seed: int, community: LoadedCommunity, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{community.community.code}:{purpose}")


# --- vaccinations --------------------------------------------------------------------------


def _doses_for(age: int, rng: random.Random) -> int:
    """How many doses a resident of `age` had by mid-2022 (shares of the campaign)."""
    if age < 3:
        return 0
    roll = rng.random()
    shares = (0.78, 0.72, 0.45) if age >= 60 else (0.93, 0.88, 0.55)
    return sum(roll < share for share in shares)


def _vaccinate(community: LoadedCommunity, *, seed: int) -> int:
    rng = _rng(seed, community, "vaccinations")
    site = f"{community.community.name}卫生服务站"
    inserter = Inserter(Vaccination, ("person_id", "dose", "vaccine", "vaccinated_on", "site"))
    people = (
        Person.objects.within(community.community.path)
        .filter(residency__in=PRESENT_RESIDENCY)
        .values_list("pk", "birth_date")
    )
    rows = []
    for person_id, birth in people.order_by("pk"):
        age = AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))
        doses = _doses_for(age, rng)
        if not doses:
            continue
        vaccine = VACCINES[0] if rng.random() < 0.85 else VACCINES[1]
        day = CAMPAIGN_START + dt.timedelta(days=rng.randrange(0, 150))
        day = max(day, birth + dt.timedelta(days=3 * 366))
        gaps = (0, rng.randrange(28, 60), rng.randrange(180, 240))
        for dose in range(1, doses + 1):
            day += dt.timedelta(days=gaps[dose - 1])
            if day > AS_OF:
                break
            rows.append(inserter.row((person_id, dose, vaccine, day, site)))
    inserter.insert(rows)
    audit_record(
        actor=None,
        action="demo.vaccinations",
        obj=community.community,
        area_path=community.community.path,
        fields=["vaccinations"],
        purpose=f"demo data: {len(rows)} vaccinations",
    )
    return len(rows)


# --- the upstream list -----------------------------------------------------------------------


def _typed_badly(number: str, rng: random.Random) -> str:
    """As people type ID numbers: a lower-case x, full-width digits, spaces."""
    roll = rng.random()
    if number.endswith("X") and roll < 0.7:
        return number[:-1] + "x"
    if roll < 0.15:
        return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    if roll < 0.25:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


def _list_rows(community: LoadedCommunity, *, seed: int) -> list[list[Any]]:
    rng = _rng(seed, community, "upstream")
    area = community.community
    candidates = list(
        Person.objects.within(area.path)
        .filter(residency__in=PRESENT_RESIDENCY)
        .exclude(phone="")
        .order_by("pk")
        .values_list("pk", "area_path")
    )
    worker_grid = _worker_grid(community)
    near = [pk for pk, path in candidates if worker_grid and path.startswith(worker_grid)]
    picked = rng.sample(
        [pk for pk, _path in candidates], min(len(candidates), 40 + community.households // 150)
    )
    picked += rng.sample(near, min(len(near), 8))
    found = Person.objects.select_related("household").in_bulk(picked)
    registered = [found[pk] for pk in dict.fromkeys(picked)]
    rows: list[list[Any]] = []
    arrival = dt.date(2022, 3, 1)
    for person in registered:  # each person once
        origin = rng.choice(ORIGINS)
        day = arrival + dt.timedelta(days=rng.randrange(0, 14))
        roll = rng.random()
        if roll < 0.70:  # by ID number
            ident, phone = _typed_badly(reveal(person.id_number), rng), reveal(person.phone)
        elif roll < 0.85:  # name and phone; the list has no ID
            ident, phone = "", reveal(person.phone)
        else:  # name and birth date, from an ID number with a typing error
            number = reveal(person.id_number)
            wrong = "0" if number[-1] != "0" else "1"
            ident, phone = number[:17] + wrong, ""
        address = person.household.address if rng.random() < 0.6 else ""
        rows.append([person.name, ident, phone, origin, day.isoformat(), address])
    compounds = list(
        area.children.filter(kind=AreaKind.COMPOUND).values_list("name", flat=True)
    ) or [area.name]
    for n in range(12 + community.households // 800):
        compound = rng.choice(compounds)
        building = rng.randrange(1, 6)
        address = (
            f"{compound}{building}栋{rng.randrange(1, 4)}单元{rng.randrange(1, 7)}0{rng.randrange(1, 4)}"
            if n % 6
            else "暂住地不详"
        )
        phone = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        name = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["新", "晨", "磊", "静", "敏", "伟"])
        rows.append([name, "", phone, rng.choice(ORIGINS), "2022-03-1" + str(n % 10), address])
    rng.shuffle(rows)
    return [[i, *row, SOURCE] for i, row in enumerate(rows, start=1)]


def _worker_grid(community: LoadedCommunity) -> str:
    worker = User.objects.filter(username=f"{community.plan.spec.slug}-gridworker").first()
    if worker is None:
        return ""
    membership = worker.memberships.select_related("area").first()
    return membership.area.path if membership else ""


def _csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _upstream_list(community: LoadedCommunity, *, seed: int) -> UpstreamList:
    slug = community.plan.spec.slug
    secretary = User.objects.get(username=f"{slug}-secretary")
    upstream_list = health.upstream_list_upload(
        actor=secretary,
        area=community.community,
        file=_csv(_list_rows(community, seed=seed)),
        filename="省大数据中心来返人员推送20220314.csv",
        name="省大数据中心来返人员推送（2022-03-14）",
        source=SOURCE,
    )
    return health.upstream_list_match(upstream_list_id=upstream_list.pk)


def _follow_up(upstream_list: UpstreamList, community: LoadedCommunity, *, seed: int) -> int:
    """Some entries reviewed, verified and closed, by whoever follows them up."""
    rng = _rng(seed, community, "follow-up")
    secretary = User.objects.get(username=f"{community.plan.spec.slug}-secretary")
    entries = list(
        upstream_list.entries.select_related("assignee", "upstream_list").order_by("row_number")
    )
    done = 0
    for entry in entries[: max(6, len(entries) * 2 // 5)]:
        actor = entry.assignee or secretary
        steps = rng.choice([1, 2, 2, 3, 3, 3])
        if entry.tier == "ambiguous":
            steps = 1
        found = rng.random() < 0.8
        plan: list[tuple[str, dict[str, Any]]] = [
            ("review", {"note": "已比对，系本社区居民，需上门核实" if entry.person_id
                        else "未在册，按推送地址上门核实"}),
            ("verify", {"method": rng.choice(["visit", "visit", "phone"]), "found": found,
                        "note": "本人在家，无发热等症状" if found else "家属称已外出"}),
            ("close", {"outcome": rng.choice(["home_monitoring", "tested", "no_action"])
                       if found else "not_here"}),
        ]  # fmt: skip
        for action, data in plan[:steps]:
            entry = health.watch_entry_transition(
                actor=actor, entry=entry, action=action, data=data
            )
            done += 1
    return done


# --- a duplicate record ------------------------------------------------------------------------


def _duplicate(community: LoadedCommunity, *, seed: int) -> str:
    """One resident of the demo grid worker's grid entered twice, under an ID number with a
    typing error in its sequence digits (same name, birth date, gender and phone): what
    **Imports → Duplicate persons** proposes to merge. Written with `person_create`."""
    rng = _rng(seed, community, "duplicate")
    slug = community.plan.spec.slug
    worker = User.objects.filter(username=f"{slug}-gridworker").first()
    worker_grid = _worker_grid(community)
    if worker is None or not worker_grid:
        return ""
    people = list(
        Person.objects.within(worker_grid)
        .filter(residency__in=PRESENT_RESIDENCY)
        .exclude(phone="")
        .select_related("household")
        .order_by("pk")[:200]
    )
    if not people:
        return ""
    person = rng.choice(people)
    number = reveal(person.id_number)
    for attempt in range(1, 50):
        # The same gender digit (the 17th), another order before it.
        order = (int(number[14:16]) + attempt) % 100
        first17 = f"{number[:14]}{order:02d}{number[16]}"
        mistyped = first17 + id_check_digit(first17)
        if Person.objects.filter(id_number_index=register_rows.id_number_index(mistyped)).exists():
            continue
        registry.person_create(
            actor=worker,
            household=person.household,
            data={
                "name": person.name,
                "id_number": mistyped,
                "phone": reveal(person.phone),
                "relation": "other",
                "notes": "重复登记（身份证号录入有误）",
            },
        )
        return person.name
    return ""


def _transfers(communities: Sequence[LoadedCommunity], *, seed: int) -> int:
    """One transfer request (迁入申请) into each community's demo grid, for a resident of
    the community before it: what **迁入申请** shows the holding community to decide.
    Made with `transfer_request_create`, as a grid worker would."""
    made = 0
    for i, receiving in enumerate(communities):
        holding = communities[i - 1]
        if holding is receiving:
            continue
        rng = _rng(seed, receiving, "transfer")
        worker = User.objects.filter(username=f"{receiving.plan.spec.slug}-gridworker").first()
        worker_grid = _worker_grid(receiving)
        if worker is None or not worker_grid:
            continue
        households = list(Household.objects.within(worker_grid).order_by("pk")[:50])
        people = list(
            Person.objects.within(holding.community.path)
            .filter(residency__in=PRESENT_RESIDENCY)
            .order_by("pk")[:200]
        )
        if not households or not people:
            continue
        transfers.transfer_request_create(
            actor=worker,
            household=rng.choice(households),
            id_number=reveal(rng.choice(people).id_number),
            reason="随子女居住，申请迁入本社区",
        )
        made += 1
    return made


# --- reports -------------------------------------------------------------------------------------


def _reports(community: LoadedCommunity) -> int:
    secretary = User.objects.get(username=f"{community.plan.spec.slug}-secretary")
    filled = 0
    for code in ("watchlist", "elderly_alone", "vaccination"):
        template = reports.report_template_install(
            actor=secretary, area=community.community, code=code
        )
        if code == "vaccination":
            template = reports.report_template_schedule(
                actor=secretary, template=template, schedule="weekly", hour=8, weekday=0
            )
        report = reports.report_request(actor=secretary, template=template)
        reports.report_fill(report_id=report.pk)
        filled += 1
    return filled


def load(communities: Sequence[LoadedCommunity], *, seed: int, say: Say) -> None:
    for community in communities:
        vaccinations = _vaccinate(community, seed=seed)
        upstream_list = _upstream_list(community, seed=seed)
        steps = _follow_up(upstream_list, community, seed=seed)
        filled = _reports(community)
        duplicate = _duplicate(community, seed=seed)
        counts = upstream_list.counts
        say(
            f"{community.community.name}: {vaccinations:,} vaccinations; upstream list of "
            f"{counts.get('rows', 0)} rows ({counts.get('id_number', 0)} by ID, "
            f"{counts.get('name_phone', 0) + counts.get('name_birth', 0)} by name, "
            f"{counts.get('ambiguous', 0)} ambiguous, {counts.get('none', 0)} not in the "
            f"register), {steps} follow-up steps; {filled} reports filled"
            + (f"; {duplicate} registered twice (a merge to try)" if duplicate else "")
        )
    requested = _transfers(communities, seed=seed)
    if requested:
        say(f"{requested} transfer requests between the communities, waiting for a decision")


def unload(*, say: Say) -> None:
    """Remove the demo communities' upstream lists, watch lists, vaccinations and reports
    (and their files), before the register goes."""
    from gongzhi.demo.load import _demo_community_paths

    paths = _demo_community_paths()
    if not paths:
        return
    templates = ReportTemplate.objects.within(*paths)
    reports_here = Report.objects.within(*paths) | Report.objects.filter(template__in=templates)
    files = list(reports_here.values_list("file_path", flat=True))
    reports_here.delete()
    files += list(templates.values_list("file_path", flat=True))
    templates.delete()
    lists = UpstreamList.objects.within(*paths)
    files += list(lists.values_list("file_path", flat=True))
    WatchEvent.objects.filter(entry__upstream_list__in=lists).delete()
    (
        WatchEntry.objects.within(*paths) | WatchEntry.objects.filter(upstream_list__in=lists)
    ).delete()
    lists.delete()
    Vaccination.objects.filter(person__in=Person.objects.within(*paths)).delete()

    # Files go once the removal commits: a --reset that fails rolls back to a working demo.
    def remove_files() -> None:
        for path in files:
            if path:
                remove(path)

    transaction.on_commit(remove_files)
    say("Removed the demo's upstream lists, watch lists, vaccinations and reports.")

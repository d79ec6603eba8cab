import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health import services as health
from gongzhi.health.tests import factories as lists
from gongzhi.registry import services as registry
from gongzhi.reports import services
from gongzhi.reports.models import Report
from gongzhi.reports.tests.factories import department_workbook, fill, open_report, values
from gongzhi.testing import make_id_number

TODAY = dt.date(2022, 3, 20)


@pytest.fixture(autouse=True)
def frozen():
    with clock.freeze(dt.datetime(2022, 3, 20, 2, 0, tzinfo=dt.UTC)):
        yield


def install(world, code, area=None):
    return services.report_template_install(
        actor=world.secretary, area=area or world.community_a, code=code
    )


def data_rows(sheet, header_row=3):
    rows = values(sheet)[header_row:]
    return [
        r
        for r in rows
        if any(v not in (None, "") for v in r) and not str(r[0]).startswith("填表人")
    ]


# --- the three ready-made templates --------------------------------------------------------


def test_elderly_alone_ledger(world):
    registry.person_tag_set(
        actor=None, person=world.person_a2, tag_codes=["elderly_alone", "chronic_illness"]
    )
    health.vaccination_record(
        actor=None,
        person=world.person_a2,
        dose=1,
        vaccine="灭活疫苗",
        vaccinated_on=dt.date(2021, 4, 1),
    )
    report = fill(install(world, "elderly_alone"), actor=world.secretary)
    assert report.status == "done", report.errors
    sheet = open_report(report, world.secretary)
    assert sheet["A1"].value == "玉岭社区独居老人关爱台账"
    assert sheet["A2"].value.startswith("填报单位：玉岭社区")
    assert "2022年3月20日" in sheet["A2"].value
    rows = data_rows(sheet)
    person = world.person_a2
    assert rows == [
        [
            1, "李秀英", "女", 41, str(person.id_number), str(person.phone),
            "玉岭花园 2栋 1单元 201室", "第二网格", "grid_worker_b", "独居老人、慢性病", 1,
            "每周走访一次", None,
        ]
    ]  # fmt: skip
    assert person.id_number.reveal() not in str(values(sheet))
    assert sheet["A6"].value.startswith("填表人")  # one row: the footer stays where it was


def test_watch_list_form(world):
    upstream_list = lists.matched(
        world.community_a,
        [
            lists.person_row(world.person_a1),
            ["陈新", "", "13700000001", "广州", "2022-03-14", "玉岭花园2栋"],
        ],
    )
    entry = upstream_list.entries.get(row_number=2)
    for action, data in [
        ("review", {"note": "武汉返乡"}),
        ("verify", {"method": "visit", "found": True, "note": "在家", "verified_on": TODAY}),
        ("close", {"outcome": "home_monitoring"}),
    ]:
        entry = health.watch_entry_transition(
            actor=world.secretary, entry=entry, action=action, data=data
        )
    report = fill(install(world, "watchlist"), actor=world.secretary)
    rows = data_rows(open_report(report, world.secretary))
    assert rows[0][:12] == [
        1, "张晓明", "男", 41, str(world.person_a1.id_number), str(world.person_a1.phone),
        "武汉市", "2022-03-14", world.person_a1.household.address, "第一网格", "grid_worker_a",
        "在册（身份证号匹配）",
    ]  # fmt: skip
    assert rows[0][12:] == ["武汉返乡", "在家", "2022-03-20", "居家健康监测", "已办结"]
    assert rows[1][1] == "陈新" and rows[1][11] == "未在册" and rows[1][16] == "待研判"
    assert rows[1][9] == "第二网格"
    # 现居住地址: where to go — the register's address of a matched person (the list gave
    # none), the stated one of a person not in the register
    assert rows[1][8] == "玉岭花园2栋"


def test_vaccination_counts_per_grid_with_a_total(world):
    old = registry.person_create(
        actor=None,
        household=world.household_a1,
        data={"name": "张老汉", "id_number": make_id_number(birth=dt.date(1940, 1, 2))},
    )
    for n, day in enumerate([dt.date(2021, 4, 1), dt.date(2021, 5, 1), dt.date(2021, 11, 1)], 1):
        health.vaccination_record(
            actor=None, person=old, dose=n, vaccine="灭活疫苗", vaccinated_on=day
        )
    health.vaccination_record(
        actor=None,
        person=world.person_a2,
        dose=1,
        vaccine="灭活疫苗",
        vaccinated_on=dt.date(2021, 6, 1),
    )
    report = fill(install(world, "vaccination"), actor=world.secretary)
    sheet = open_report(report, world.secretary)
    rows = data_rows(sheet)
    assert rows[0][:5] == [1, "第一网格", 2, 1, 1]
    assert rows[0][5] == 0.5 and sheet["F4"].number_format == "0.0%"
    assert rows[1][:5] == [2, "第二网格", 1, 0, 1]
    assert rows[2][:5] == [None, "合计", 3, 1, 2]
    assert rows[2][10:] == [1, 1]


# --- transforms, masking, filters --------------------------------------------------------------


@pytest.fixture
def custom(world):
    template = services.report_template_upload(
        actor=world.secretary,
        area=world.community_a,
        file=department_workbook(),
        filename="高龄老人名册.xlsx",
        dataset="persons",
        department="区民政局",
    )
    return template


def test_an_uploaded_templates_columns_get_suggested_fields(custom):
    suggested = {c["column"]: (c["field"], c["transform"]) for c in custom.columns}
    assert suggested == {
        1: ("sequence", ""),
        2: ("name", ""),
        3: ("id_number", ""),
        4: ("phone", ""),
        5: ("address", ""),
        6: ("birth_date", ""),
        7: ("tags", ""),
    }
    assert custom.name == "高龄老人名册" and custom.header_row == 3


def mapping(world, template, columns, filters=None):
    return services.report_template_map(
        actor=world.secretary, template=template, columns=columns, filters=filters or {}
    )


def test_transforms(world, custom):
    mapping(
        world,
        custom,
        [
            {"column": 1, "field": "sequence"},
            {"column": 2, "field": "name", "transform": "mask"},
            {"column": 3, "field": "gender", "transform": "label", "arg": "male=男性;female=女性"},
            {"column": 4, "field": "birth_date", "transform": "age"},
            {"column": 5, "transform": "constant", "arg": "=见附件"},
            {"column": 6, "field": "birth_date", "transform": "date", "arg": "YYYY年M月D日"},
            {"column": 7, "field": "residency"},
        ],
        filters={"area": world.grid_a1.pk},
    )
    report = fill(custom, actor=world.secretary)
    rows = data_rows(open_report(report, world.secretary))
    assert rows == [[1, "张*明", "男性", 41, "'=见附件", "1980年5月17日", "在住"]]


def test_sensitive_values_are_masked_unless_full_is_asked_and_allowed(world, custom):
    mapping(
        world,
        custom,
        [
            {"column": 2, "field": "name"},
            {"column": 3, "field": "id_number", "transform": "full"},
            {"column": 4, "field": "phone"},
        ],
        filters={"area": world.grid_a1.pk},
    )
    person = world.person_a1
    full = fill(custom, actor=world.secretary)
    sheet = open_report(full, world.secretary)
    assert sheet["C4"].value == person.id_number.reveal()
    assert sheet["D4"].value == str(person.phone)  # masked: no "full" on this column
    assert full.full_values
    audit = AuditEntry.objects.get(action="report.fill", object_id=str(full.pk))
    assert audit.fields == ["id_number"] and audit.actor_id == world.secretary.pk
    # A street officer may fill it, but may not reveal: the ID number stays masked.
    street = world.by_role[Role.STREET_OFFICER]
    masked = fill(custom, actor=street)
    assert not masked.full_values and masked.notes
    assert open_report(masked, street)["C4"].value == str(person.id_number)
    # … and may not download the report that holds full values.
    with pytest.raises(Forbidden):
        services.report_download(actor=street, report=full)


def test_filters_by_tag_and_age(world, custom):
    registry.person_tag_set(actor=None, person=world.person_a1, tag_codes=["disabled"])
    mapping(world, custom, [{"column": 2, "field": "name"}], filters={"tags": ["disabled"]})
    assert [
        r[1] for r in data_rows(open_report(fill(custom, actor=world.secretary), world.secretary))
    ] == ["张晓明"]
    mapping(world, custom, [{"column": 2, "field": "name"}], filters={"age_min": 42})
    assert data_rows(open_report(fill(custom, actor=world.secretary), world.secretary)) == []


def test_residency_filter(world, custom):
    mapping(world, custom, [{"column": 2, "field": "name"}], filters={"residency": ["away"]})
    assert data_rows(open_report(fill(custom, actor=world.secretary), world.secretary)) == []
    mapping(world, custom, [{"column": 2, "field": "name"}], filters={"residency": ["living"]})
    names = [
        r[1] for r in data_rows(open_report(fill(custom, actor=world.secretary), world.secretary))
    ]
    assert "张晓明" in names


def test_a_watch_list_template_filters_by_status_and_area(world):
    """The 排查表 of open entries only, or of one grid: a mapping's filters, kept with it."""
    upstream_list = lists.matched(
        world.community_a,
        [
            lists.person_row(world.person_a1),  # grid A1
            ["陈新", "", "13700000001", "广州", "2022-03-14", "玉岭花园2栋"],  # grid A2
        ],
    )
    closed = upstream_list.entries.get(row_number=2)
    health.watch_entry_transition(
        actor=world.secretary, entry=closed, action="dismiss", data={"note": "重复推送"}
    )
    template = install(world, "watchlist")
    columns = template.columns

    def names(filters):
        services.report_template_map(
            actor=world.secretary, template=template, columns=columns, filters=filters
        )
        sheet = open_report(fill(template, actor=world.secretary), world.secretary)
        return [r[1] for r in data_rows(sheet)]

    assert names({}) == ["张晓明", "陈新"]
    assert names({"status": "open"}) == ["陈新"]
    assert names({"status": "closed"}) == ["张晓明"]
    assert names({"area": world.grid_a2.pk}) == ["陈新"]


def test_a_grid_worker_fills_the_communitys_template_for_their_grid(world, custom):
    mapping(world, custom, [{"column": 2, "field": "name"}])
    report = fill(custom, actor=world.grid_worker_a)
    assert report.area == world.grid_a1
    assert [r[1] for r in data_rows(open_report(report, world.grid_worker_a))] == ["张晓明"]
    with pytest.raises(ValidationError):
        services.report_request(actor=world.grid_worker_a, template=custom, area=world.grid_a2)


def test_mapping_errors_name_the_column_and_rule(world, custom):
    with pytest.raises(ValidationError) as info:
        mapping(
            world,
            custom,
            [
                {"column": 2, "field": "salary"},
                {"column": 3, "field": "name", "transform": "percent"},
                {"column": 6, "field": "birth_date", "transform": "date", "arg": "DD/MM"},
                {"column": 99, "field": "name"},
            ],
            filters={"tags": ["nope"], "grid_level": 9},
        )
    errors = info.value.message_dict
    assert len(errors["columns"]) == 4
    assert errors["columns"][0].startswith("姓名")
    assert len(errors["filters"]) == 2  # an unknown tag; grid_level does not filter persons
    custom.refresh_from_db()
    assert custom.version == 1  # nothing saved


def test_only_managers_map_and_schedule(world, custom):
    for role in (Role.GRID_WORKER, Role.STREET_OFFICER):
        with pytest.raises(Forbidden):
            services.report_template_map(
                actor=world.by_role[role], template=custom, columns=[{"column": 2, "field": "name"}]
            )
        with pytest.raises(Forbidden):
            services.report_template_schedule(
                actor=world.by_role[role], template=custom, schedule="daily"
            )


def test_a_csv_is_not_a_template(world):
    with pytest.raises(ValidationError) as info:
        services.report_template_upload(
            actor=world.secretary,
            area=world.community_a,
            file="姓名,电话\n".encode(),
            dataset="persons",
            filename="x.csv",
        )
    assert info.value.error_dict["file"][0].code == "not_xlsx"


def test_a_ready_made_template_is_installed_once_per_area(world):
    install(world, "vaccination")
    with pytest.raises(ValidationError):
        install(world, "vaccination")


def test_a_failed_filling_is_kept_as_failed(world, custom, monkeypatch):
    from gongzhi.reports import filling

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(filling, "fill", broken)
    report = fill(custom, actor=world.secretary)
    assert report.status == "failed" and "RuntimeError" in report.errors["__all__"][0]
    assert not report.file_path


def test_filling_twice_does_nothing_the_second_time(world, custom):
    report = fill(custom, actor=world.secretary)
    again = services.report_fill(report_id=report.pk)
    assert again.filled_at == report.filled_at


def test_downloads_are_audited(world, custom):
    report = fill(custom, actor=world.secretary)
    services.report_download(actor=world.secretary, report=report)
    assert AuditEntry.objects.filter(action="report.download", object_id=str(report.pk)).exists()


def test_report_files_are_encrypted_at_rest(world, custom):
    from django.conf import settings

    report = fill(custom, actor=world.secretary)
    stored = (settings.DATA_DIR / report.file_path).read_bytes()
    assert not stored.startswith(b"PK")
    assert "张晓明".encode() not in stored


# --- schedules, with a frozen clock -------------------------------------------------------------


def at(hour, day=20):
    return dt.datetime(2022, 3, day, hour, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_daily_schedule_fills_once_per_day_when_due(world):
    template = install(world, "vaccination")
    with clock.freeze(at(7)):
        template = services.report_template_schedule(
            actor=world.secretary, template=template, schedule="daily", hour=8
        )
    assert template.next_run_at == at(8)
    with clock.freeze(at(7, 20).replace(minute=59)):
        assert services.reports_fill_due() == 0
    with clock.freeze(at(8).replace(minute=5)):
        assert services.reports_fill_due() == 1
        assert services.reports_fill_due() == 0  # safe to run twice
    template.refresh_from_db()
    assert template.next_run_at == at(8, 21)
    report = Report.objects.get(template=template)
    assert report.trigger == "schedule" and report.status == "done"
    assert report.as_of == dt.date(2022, 3, 20) and report.area == world.community_a


def test_a_weekly_and_a_monthly_schedule(world):
    template = install(world, "vaccination")
    with clock.freeze(at(9)):  # Sunday 20 March 2022, after 8:00
        weekly = services.report_template_schedule(
            actor=world.secretary, template=template, schedule="weekly", hour=8, weekday=0
        )
        assert weekly.next_run_at == at(8, 21)  # Monday
        monthly = services.report_template_schedule(
            actor=world.secretary, template=template, schedule="monthly", hour=8, day=20
        )
        assert monthly.next_run_at == dt.datetime(2022, 4, 20, 8, tzinfo=at(8).tzinfo)
        none = services.report_template_schedule(
            actor=world.secretary, template=template, schedule=""
        )
        assert none.next_run_at is None


def test_missed_runs_fill_once_and_move_to_the_next_slot(world):
    template = install(world, "vaccination")
    with clock.freeze(at(7)):
        services.report_template_schedule(
            actor=world.secretary, template=template, schedule="daily", hour=8
        )
    with clock.freeze(at(12, 25)):  # the worker was down for five days
        assert services.reports_fill_due() == 1
    template.refresh_from_db()
    assert template.next_run_at == at(8, 26)


def test_schedule_values_are_checked(world):
    template = install(world, "vaccination")
    with pytest.raises(ValidationError) as info:
        services.report_template_schedule(
            actor=world.secretary, template=template, schedule="hourly", hour=25, day=31
        )
    assert set(info.value.error_dict) == {"schedule", "hour", "day"}


def test_a_nul_in_a_template_name_is_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as info:
        services.report_template_upload(
            actor=world.secretary,
            area=world.community_a,
            file=department_workbook(),
            filename="名册.xlsx",
            dataset="persons",
            name="高龄\x00老人",
            department="区民政局\x07",
        )
    assert set(info.value.error_dict) == {"name", "department"}

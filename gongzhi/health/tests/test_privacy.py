"""An upstream list's free-text columns and row problems keep no ID number or phone in the
clear: the entries, the list and the watch-list pages show them masked."""

import importlib

from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.core.identity import id_check_digit
from gongzhi.health import parsing
from gongzhi.health.models import UpstreamList, WatchEntry
from gongzhi.health.tests.factories import matched
from gongzhi.testing import make_id_number, make_phone

HEADER = ["姓名", "身份证号", "手机号", "来源地", "到达日期", "现住址", "数据来源"]


def _stored_text(upstream_list: UpstreamList) -> str:
    parts = []
    with connection.cursor() as cursor:
        for model, where in ((UpstreamList, "id"), (WatchEntry, "upstream_list_id")):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table} WHERE {where} = %s", [upstream_list.pk])
            parts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(parts)


def test_ids_and_phones_in_free_text_columns_are_masked_in_the_parsed_row():
    other_id, other_phone = make_id_number(), make_phone()
    columns = parsing.map_columns(HEADER)
    row = parsing.parse_row(
        2,
        [
            "赵六",
            make_id_number(),
            make_phone(),
            f"同行人 {other_id}",
            "2022-03-14",
            f"幸福路 3 号 联系 +86 {other_phone}",
            "疾控",
        ],
        columns,
    )
    text = " ".join([row.origin, row.address, row.source])
    assert other_id not in text and other_phone not in text
    assert other_id[:6] + "*" * 11 + other_id[-1:] in row.origin
    assert other_phone[:3] + "****" + other_phone[-4:] in row.address


def test_an_invalid_id_number_problem_does_not_repeat_its_digits():
    first17 = "421087" + "19801345" + "123"
    columns = parsing.map_columns(HEADER)
    with translation.override("en"):
        row = parsing.parse_row(2, ["赵六", first17 + id_check_digit(first17)], columns)
    assert "19801345" not in str(row.problems) and row.problems["id_number"]


def test_the_stored_list_and_the_pages_keep_no_plain_id_or_phone(world, secretary):
    other_id, other_phone = make_id_number(), make_phone()
    rows = [
        ["赵六", make_id_number(), make_phone(), other_id, "2022-03-14", other_phone, "疾控"],
        ["钱七", "123", "", "武汉", "2022-03-14", f"电话 {other_phone}", other_id],
    ]
    upstream_list = matched(world.community_a, rows, header=HEADER, actor=secretary)
    stored = _stored_text(upstream_list)
    for secret in (other_id, other_phone, other_id[6:14]):
        assert secret not in stored
    client = Client()
    client.force_login(secretary)
    pages = [reverse("health:watchlist"), reverse("health:watchlist") + "?export=csv"]
    pages += [reverse("health:entry_detail", args=[e.pk]) for e in upstream_list.entries.all()]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode("utf-8-sig")
        assert other_id not in body and other_phone not in body, url


def test_the_data_migration_masks_entries_stored_before(world, secretary):
    other_id, other_phone = make_id_number(), make_phone()
    rows = [["赵六", make_id_number(), make_phone(), "武汉", "2022-03-14", "幸福路", "疾控"]]
    upstream_list = matched(world.community_a, rows, header=HEADER, actor=secretary)
    upstream_list.entries.update(
        origin=f"同行 {other_id}",
        address=f"幸福路 {other_phone}",
        source=other_phone,
        problems={"id_number": [f"Digits 7–14 … the birth date; {other_id[6:14]} is not a date."]},
    )
    migration = importlib.import_module(
        "gongzhi.health.migrations.0002_mask_free_text_of_watch_entries"
    )
    migration.forwards(django_apps, None)
    stored = _stored_text(upstream_list)
    for secret in (other_id, other_phone, other_id[6:14]):
        assert secret not in stored

"""No personal value leaves a spreadsheet in the clear: whatever its column, an ID number
or a mobile number is masked in the stored sample, the row outcomes, the preview page,
the row export and the problem report; problem messages name the rule, not the value."""

import csv
import importlib
import io
import json

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.core.identity import id_check_digit
from gongzhi.imports import services
from gongzhi.imports.models import ImportBatch, ImportChunk
from gongzhi.imports.tests.conftest import HEADER, outcomes, run, upload, xlsx
from gongzhi.registry.services import REGISTERED_ELSEWHERE
from gongzhi.testing import make_id_number, make_phone

EXTRA = ["户主身份证号", "紧急联系人电话", "说明二"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _stored_text(batch: ImportBatch) -> str:
    """Every column of the batch and its chunks, as the database holds them."""
    parts = []
    with connection.cursor() as cursor:
        for model, where in ((ImportBatch, "id"), (ImportChunk, "batch_id")):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table} WHERE {where} = %s", [batch.pk])
            parts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(parts)


def _digits_of(values: list[str]) -> list[str]:
    """The plain values and their middle parts (a birth date, a phone's middle digits)."""
    out = []
    for value in values:
        digits = "".join(c for c in value if c.isdigit())
        out.append(digits)
        if len(digits) >= 15:
            out.append(digits[6:14])  # the birth date inside an ID number
    return out


@pytest.fixture
def leaky_batch(world, row_for):
    """A checked import whose extra columns hold ID numbers and phones, with problem rows."""
    head_id, emergency, remark = make_id_number(), make_phone(), make_phone()
    own_bad = make_id_number()
    own_bad = own_bad[:17] + ("0" if own_bad[17] != "0" else "1")
    rows = [
        [
            *row_for("赵六", make_id_number()),
            head_id,
            emergency,
            f"备用 +86 {remark[:3]}-{remark[3:7]}-{remark[7:]}",
        ],
        [*row_for("钱七", own_bad, building="9栋"), head_id, int(emergency), ""],
        [*row_for("孙八", make_id_number(), building="9栋"), f"{head_id}", emergency, ""],
    ]
    header = HEADER + EXTRA
    batch = upload(world.grid_worker_a, xlsx(rows, header=header))
    batch = run(batch, "check", world.grid_worker_a)
    secrets = [head_id, emergency, remark, own_bad]
    return batch, secrets


def test_the_stored_batch_and_its_outcomes_hold_no_plain_id_number_or_phone(leaky_batch):
    batch, secrets = leaky_batch
    stored = _stored_text(batch)
    assert batch.rows_failed == 2
    leaked = [s for s in _digits_of(secrets) if s in stored]
    assert not leaked, leaked
    # The extra columns are there, masked.
    assert any(secrets[0][:6] + "*" * 11 + secrets[0][-1:] in cell for cell in batch.sample[0])


def test_the_preview_page_shows_no_plain_id_number_or_phone(world, leaky_batch):
    batch, secrets = leaky_batch
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.grid_worker_a)
    url = reverse("imports:detail", kwargs={"import_id": batch.pk})
    pages = [
        client.get(url),
        client.get(url, {"only": "error"}),
        client.get(url, {"export": "csv"}),
    ]
    for response in pages:
        assert response.status_code == 200
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode("utf-8-sig")
        leaked = [s for s in _digits_of(secrets) if s in body]
        assert not leaked, leaked


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_problem_report_shows_no_plain_id_number_or_phone(world, leaky_batch, fmt):
    batch, secrets = leaky_batch
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.grid_worker_a)
    response = client.get(
        reverse("imports:report", kwargs={"import_id": batch.pk}), {"format": fmt}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        text = body.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        rows = [[str(c.value) for c in row] for row in sheet.iter_rows()]
        text = json.dumps(rows, ensure_ascii=False)
    assert len(rows) == 3  # header and the two problem rows
    leaked = [s for s in _digits_of(secrets) if s in text]
    assert not leaked, leaked


def test_problem_messages_do_not_repeat_personal_values(world, row_for):
    """A birth date that disagrees with the ID number, a phone put in a choice column:
    the message names the rule, not the value."""
    number = make_id_number()  # born 1980-05-17
    phone = make_phone()
    header = [*HEADER, "出生日期", "民族"]
    rows = [[*row_for("赵六", number), "1981-01-01", phone]]
    batch = upload(world.grid_worker_a, xlsx(rows, header=header))
    batch = run(batch, "check", world.grid_worker_a)
    (outcome,) = services.import_outcomes(batch)
    messages = " ".join(problem[2] for problem in outcome[3])
    assert {problem[0] for problem in outcome[3]} == {"birth_date", "ethnicity"}
    for secret in ("1980-05-17", "19800517", "1981-01-01", phone, phone[3:7]):
        assert secret not in messages, messages


def test_an_invalid_id_number_message_does_not_repeat_its_digits(world, row_for):
    first17 = "421087" + "19801345" + "123"  # month 13
    bad_date = first17 + id_check_digit(first17)
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", bad_date)]))
    batch = run(batch, "check", world.grid_worker_a)
    (outcome,) = services.import_outcomes(batch)
    messages = " ".join(problem[2] for problem in outcome[3])
    assert "19801345" not in messages and "birth date" in messages


def test_the_data_migration_masks_what_earlier_versions_stored(world, row_for):
    """Batches stored before the masking: their samples and problem messages are masked."""
    head_id, emergency = make_id_number(), make_phone()
    batch = upload(world.grid_worker_a, xlsx([row_for("赵六", make_id_number())]))
    ImportBatch.objects.filter(pk=batch.pk).update(
        sample=[["赵六", "421087********1234", f"+86 {emergency}", head_id, None, 3]]
    )
    ImportChunk.objects.create(
        batch=batch,
        phase="check",
        seq=1,
        first_row=2,
        last_row=3,
        errors=2,
        rows=[
            [2, "error", None, [["birth_date", "birth_date_mismatch",
                                 "身份证号码中的出生日期为 1980-05-17。"]]],
            [3, "error", None, [["ethnicity", "choice", f"“{emergency}”不是此列的选项之一。"],
                                ["gender", "gender_mismatch",
                                 "The gender (male) does not match the ID number's 17th digit."]]],
            [4, "created", 7, []],
        ],
    )  # fmt: skip
    migration = importlib.import_module(
        "gongzhi.imports.migrations.0002_mask_stored_samples_and_messages"
    )
    migration.forwards(django_apps, None)

    stored = _stored_text(batch)
    for secret in (head_id, emergency, "1980-05-17", "(male)"):
        assert secret not in stored
    batch.refresh_from_db()
    assert batch.sample[0][0] == "赵六" and batch.sample[0][4:] == [None, 3]
    assert batch.sample[0][3] == head_id[:6] + "*" * 11 + head_id[-1:]
    assert batch.sample[0][1] == "421087" + "*" * 11 + "4"  # the old mask, re-masked
    chunk = ImportChunk.objects.get(batch=batch)
    assert chunk.rows[2] == [4, "created", 7, []]
    assert chunk.rows[1][3][1][2] == "The gender does not match the ID number's 17th digit."


def test_an_import_row_registered_elsewhere_names_no_community(world, row_for):
    other = world.person_b1
    batch = upload(world.grid_worker_a, xlsx([row_for(other.name, other.id_number.reveal())]))
    batch = run(batch, "check", world.grid_worker_a)
    ((field, code, message),) = outcomes(batch)[2][3]
    assert (field, code) == ("id_number", "registered_elsewhere")
    assert message == str(REGISTERED_ELSEWHERE)
    assert world.community_b.name not in message and other.household.address not in message

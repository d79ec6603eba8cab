"""After every kind of action — search, export, reveal, import, merge, order steps — the
append-only audit log and the application log hold no ID number and no phone number.
The review found a search exported with `?q=<ID number>&export=csv` whose raw query went
into an entry's purpose, where the hash chain makes it impossible to erase."""

from __future__ import annotations

import logging
import re

import pytest
from django.db.models import CharField, TextField

from gongzhi.audit.models import AuditEntry
from gongzhi.imports.tests.conftest import HEADER, check_and_commit, upload, xlsx
from gongzhi.registry import services as registry
from gongzhi.testing import make_id_number, make_phone

# Not inside a longer run of letters and digits (the chain's hashes are hex).
ID_NUMBER = re.compile(r"(?<![0-9a-zA-Z])(?:\d{17}[\dXx]|\d{15})(?![0-9a-zA-Z])")
MOBILE = re.compile(r"(?<![0-9a-zA-Z])(?:\+?86)?1[3-9]\d{9}(?![0-9a-zA-Z])")


def _audit_text() -> str:
    columns = [
        f.name for f in AuditEntry._meta.get_fields() if isinstance(f, CharField | TextField)
    ]
    rows = AuditEntry.objects.values_list(*columns, "fields")
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def _assert_clean(text: str, *values: str) -> None:
    for value in values:
        assert value not in text
    assert not ID_NUMBER.findall(text), ID_NUMBER.findall(text)[:3]
    assert not MOBILE.findall(text), MOBILE.findall(text)[:3]


@pytest.fixture
def log_text(caplog):
    caplog.set_level(logging.DEBUG)
    return lambda: "\n".join(r.getMessage() for r in caplog.records)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_searches_and_exports_by_full_values_leave_no_value(client, world, log_text):
    number, phone = world.person_a1.id_number.reveal(), world.person_a1.phone.reveal()
    client.force_login(world.grid_worker_a)
    for q in (number, phone, f" {number[:6]} {number[6:]} "):
        assert client.get("/api/v1/persons", {"q": q}).status_code == 200
        for extra in ({}, {"rows": "persons"}):
            response = client.get("/register/households/", {"q": q, "export": "csv", **extra})
            assert response.status_code == 200
            _body(response)
    assert AuditEntry.objects.filter(action="register.exact_search").exists()
    _assert_clean(_audit_text(), number, phone)
    _assert_clean(log_text(), number, phone)


def test_a_reveal_purpose_that_quotes_the_number_is_recorded_without_it(client, world, log_text):
    number = world.person_a1.id_number.reveal()
    phone = world.person_a1.phone.reveal()
    client.force_login(world.grid_worker_a)
    response = client.post(
        f"/api/v1/persons/{world.person_a1.pk}/reveal",
        {"field": "id_number", "purpose": f"核实 {number} 与 {phone} 是否一致"},
        content_type="application/json",
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="person.reveal").latest("seq")
    assert "核实" in entry.purpose  # the purpose is kept, the values in it are not
    _assert_clean(_audit_text(), number, phone)
    _assert_clean(log_text(), number, phone)


def test_import_and_merge_leave_no_value(world, log_text):
    number, phone = make_id_number(), make_phone()
    extra_id, extra_phone = make_id_number(), make_phone()
    header = [*HEADER, "户主身份证号", "紧急联系人电话"]
    row = ["赵六", number, phone, "玉岭花园", "1栋", "1", "301", "户主", "", extra_id, extra_phone]
    batch = upload(world.grid_worker_a, xlsx([row], header=header))
    check_and_commit(batch, world.grid_worker_a)
    keep = world.person_a1
    twin = registry.person_create(
        actor=world.grid_worker_a,
        household=world.household_a1,
        data={
            "name": keep.name,
            "id_number": make_id_number(birth=keep.birth_date),
            "relation": "other",
        },
    )
    registry.person_merge(
        actor=world.grid_worker_a, keep=keep, merge=twin, note=f"同一人，电话 {phone}"
    )
    text = _audit_text()
    _assert_clean(text, number, phone, extra_id, extra_phone)
    _assert_clean(log_text(), number, phone, extra_id, extra_phone)


def test_order_steps_leave_no_value(world, log_text):
    from gongzhi.workorders import services as orders
    from gongzhi.workorders.defaults import ensure_default_categories
    from gongzhi.workorders.states import Action
    from gongzhi.workorders.tests.factories import People, new_order

    ensure_default_categories()
    people = People.of(world)
    number, phone = make_id_number(), make_phone()
    order = new_order(people, description=f"楼下 {phone} 的住户漏水，身份证 {number}")
    for actor, action, extra in (
        (people.grid_worker, Action.DISPATCH, {"handlers": [people.volunteer]}),
        (people.volunteer, Action.ACCEPT, {}),
        (people.volunteer, Action.RESOLVE, {"note": f"已联系 {phone}"}),
        (people.resident, Action.RATE, {"rating": 5}),
    ):
        order = orders.workorder_transition(actor=actor, order=order, action=action, **extra)
    assert AuditEntry.objects.filter(action__startswith="workorder").count() >= 4
    _assert_clean(_audit_text(), number, phone)
    _assert_clean(log_text(), number, phone)

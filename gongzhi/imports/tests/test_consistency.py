"""An imported person is exactly what `person_create` makes, column by column (and so is
the household and the history), so the fast path cannot drift from the services."""

import datetime as dt

import pytest
from django.db import connection, transaction

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField
from gongzhi.imports import engine
from gongzhi.imports.tests.conftest import check_and_commit, upload, xlsx
from gongzhi.registry import services
from gongzhi.registry.models import Household, Person, RegisterChange
from gongzhi.testing import make_id_number

SKIP = {"id", "created_at", "updated_at", "household", "head"}


def columns(obj) -> dict:
    out = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIP:
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, EncryptedTextField):
            token = value.token if value else ""
            # Tokens differ (fresh nonce); what they hold and the key they use must not.
            value = (crypto.decrypt(token, field.purpose), token.split(":")[0]) if token else ""
        out[field.name] = value
    return out


def snapshot(id_number: str) -> dict:
    person = Person.objects.get(id_number_index=crypto.blind_index(id_number, "person.id_number"))
    household = person.household
    return {
        "person": columns(person),
        "household": columns(household),
        "head_is_person": household.head_id == person.pk,
        "tags": sorted(person.tags.values_list("code", flat=True)),
        "person_history": [
            (c.action, c.changes, c.actor_id, c.household_id == household.pk)
            for c in RegisterChange.objects.filter(person=person)
        ],
        "created_on": person.created_at.date(),
    }


@pytest.mark.parametrize(
    "new_keys", ["", engine.PREDICT, engine.READ_BACK, engine.RETURNING, engine.BULK_CREATE]
)
def test_an_imported_person_is_what_person_create_makes(world, monkeypatch, new_keys):
    # Every way the commit may learn the new rows' keys (`Engine._insert_new`) gives the
    # same register; "" is the one the database uses by default.
    if new_keys == engine.PREDICT and connection.vendor != "sqlite":
        pytest.skip("keys are predicted on SQLite only")
    if new_keys == engine.RETURNING and not connection.features.can_return_rows_from_bulk_insert:
        pytest.skip("no RETURNING on this database")
    monkeypatch.setattr(engine, "NEW_KEYS", new_keys)
    actor = world.grid_worker_a
    number = make_id_number(birth=dt.date(1948, 2, 29), male=False)
    data = {"name": "欧阳·晓燕", "id_number": number, "phone": "13912345678", "relation": "head"}

    with transaction.atomic():
        household = services.household_create(
            actor=actor, building=world.building_a1, unit="5", room="501"
        )
        services.person_create(
            actor=actor, household=household, data=data, tags=["elderly_alone", "disabled"]
        )
        made = snapshot(number)
        household_change = RegisterChange.objects.get(household=household, person=None).changes
        transaction.set_rollback(True)
    assert not Household.objects.filter(unit="5", room="501").exists()

    header = ["姓名", "身份证号", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "标签"]
    row = ["欧阳·晓燕", number.lower(), "139-1234-5678", "玉岭花园", "1栋", "5单元", "501室", "户主",
           "独居老人、残疾人"]  # fmt: skip
    batch = check_and_commit(upload(actor, xlsx([row], header)), actor)
    assert batch.rows_created == 1
    imported = snapshot(number)

    # The history notes differ on purpose (an import names its batch); the rest is equal.
    assert imported == made
    household = Household.objects.get(building=world.building_a1, unit="5", room="501")
    assert RegisterChange.objects.get(household=household, person=None).changes == household_change


@pytest.mark.parametrize(
    "new_keys", ["", engine.PREDICT, engine.READ_BACK, engine.RETURNING, engine.BULK_CREATE]
)
def test_each_new_row_gets_its_own_key_whichever_way_the_commit_learns_them(
    world, monkeypatch, new_keys, row_for
):
    if new_keys == engine.PREDICT and connection.vendor != "sqlite":
        pytest.skip("keys are predicted on SQLite only")
    if new_keys == engine.RETURNING and not connection.features.can_return_rows_from_bulk_insert:
        pytest.skip("no RETURNING on this database")
    monkeypatch.setattr(engine, "NEW_KEYS", new_keys)
    actor = world.grid_worker_a
    people = [
        ("王芳", make_id_number(birth=dt.date(1960, 1, 1), male=False), "601", "户主"),
        ("李强", make_id_number(birth=dt.date(1961, 2, 2), male=True), "601", "配偶"),
        ("赵敏", make_id_number(birth=dt.date(1990, 3, 3), male=False), "602", "子女"),
        ("孙杰", make_id_number(birth=dt.date(1970, 4, 4), male=True), "602", "户主"),
    ]
    rows = [row_for(name, number, room=room, relation=rel) for name, number, room, rel in people]

    batch = check_and_commit(upload(actor, xlsx(rows)), actor)

    assert batch.rows_created == 4
    for name, number, room, rel in people:
        person = Person.objects.get(id_number_index=crypto.blind_index(number, "person.id_number"))
        assert (person.name, person.household.room) == (name, room)
        created = RegisterChange.objects.get(person=person, action="person.create")
        assert created.changes["name"] == [None, name]
        assert created.household_id == person.household_id
        assert (person.household.head_id == person.pk) == (rel == "户主")

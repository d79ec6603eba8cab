"""An imported person is exactly what `person_create` makes, column by column (and so is
the household and the history), so the fast path cannot drift from the services."""

import datetime as dt

from django.db import transaction

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField
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


def test_an_imported_person_is_what_person_create_makes(world):
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

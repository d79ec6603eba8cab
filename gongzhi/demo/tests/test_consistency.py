"""The bulk path stores exactly what the register's services would: a sample of loaded
persons passes the services' validation, and a planned person written both ways gives the
same row. If a service starts deriving something new, these fail."""

import random

from django.db import connection

from gongzhi.core import crypto
from gongzhi.core.identity import normalize_name, normalize_phone, parse_resident_id
from gongzhi.core.text import pinyin_keys
from gongzhi.demo.load import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, RowBuilder
from gongzhi.demo.people import PersonMaker, Registry, household_kinds
from gongzhi.demo.spec import QIFU
from gongzhi.registry import services
from gongzhi.registry.models import Area, AreaKind, Household, Person


def test_a_sample_of_loaded_persons_passes_the_services_validation(demo):
    ids = list(Person.objects.values_list("pk", flat=True))
    sample = Person.objects.filter(pk__in=random.Random(3).sample(ids, 200)).select_related(
        "household__building__compound"
    )
    for person in sample:
        id_number = person.id_number.reveal()
        rid = parse_resident_id(id_number)
        assert (rid.number, rid.birth_date, rid.gender) == (
            id_number,
            person.birth_date,
            person.gender,
        )
        assert person.id_number_index == crypto.blind_index(id_number, "person.id_number")
        assert normalize_name(person.name) == person.name
        assert pinyin_keys(person.name) == (person.name_pinyin, person.name_initials)
        if person.phone:
            phone = person.phone.reveal()
            assert normalize_phone(phone) == phone
            assert person.phone_index == crypto.blind_index(phone, "person.phone")
        else:
            assert person.phone_index == ""
        household = person.household
        assert person.area_path == household.area_path == household.building.path
        assert household.address == services.address_of(
            household.building, household.unit, household.room
        )


def test_a_planned_person_gives_the_same_row_through_the_service_and_the_bulk_path(demo):
    building = Area.objects.filter(kind=AreaKind.BUILDING).select_related("compound").first()
    maker = PersonMaker(QIFU, random.Random("consistency"), Registry())
    plan = maker.household(household_kinds(1, random.Random(1))[0])
    builder = RowBuilder()
    community = Area.objects.get(code=building.code[:12])

    household = services.household_create(actor=None, building=building, unit="9", room="999")
    bulk_household = dict(
        zip(
            HOUSEHOLD_COLUMNS,
            builder.household(community=community, building=building, unit="9", room="999"),
            strict=True,
        )
    )
    stored = Household.objects.values(*HOUSEHOLD_COLUMNS).get(pk=household.pk)
    assert bulk_household == stored

    for planned in plan.persons:
        person = services.person_create(
            actor=None,
            household=household,
            data={
                "name": planned.name,
                "id_number": planned.id_number,
                "phone": planned.phone,
                "ethnicity": planned.ethnicity,
                "relation": planned.relation,
                "residency": planned.residency,
                "moved_in_on": planned.moved_in_on,
            },
        )
        built = builder.person(household.pk, household.area_path, planned)
        row = dict(zip(PERSON_COLUMNS, built[: len(PERSON_COLUMNS)], strict=True))
        service_row = Person.objects.values(*PERSON_COLUMNS).get(pk=person.pk)
        for column in ("id_number", "phone"):
            purpose = Person._meta.get_field(column).purpose
            token, service_token = row.pop(column), service_row.pop(column)
            assert bool(token) == bool(service_token)
            if token:  # fresh nonces differ; the plaintext and purpose must not
                assert crypto.decrypt(token, purpose) == crypto.decrypt(
                    service_token.token, purpose
                )
        row["birth_date"] = str(row["birth_date"])
        row["moved_in_on"] = str(row["moved_in_on"])
        service_row["birth_date"] = str(
            connection.ops.adapt_datefield_value(service_row["birth_date"])
        )
        service_row["moved_in_on"] = str(
            connection.ops.adapt_datefield_value(service_row["moved_in_on"])
        )
        assert row == service_row

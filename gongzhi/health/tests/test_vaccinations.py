import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.health import selectors, services
from gongzhi.registry import services as registry
from gongzhi.testing import make_id_number


def dose(person, n, day, actor=None):
    return services.vaccination_record(
        actor=actor, person=person, dose=n, vaccine="新冠病毒灭活疫苗（Vero细胞）",
        vaccinated_on=day, site="玉岭社区卫生服务站",
    )  # fmt: skip


def test_a_grid_worker_records_doses_in_order(world):
    person = world.person_a1
    dose(person, 1, dt.date(2021, 4, 1), world.grid_worker_a)
    dose(person, 2, dt.date(2021, 5, 1), world.grid_worker_a)
    assert [v.dose for v in selectors.person_vaccinations(person)] == [1, 2]
    assert AuditEntry.objects.filter(action="vaccination.record").count() == 2


def test_doses_are_checked(world):
    person = world.person_a1
    dose(person, 1, dt.date(2021, 4, 1))
    for n, day, field in [
        (1, dt.date(2021, 5, 1), "dose"),  # already recorded
        (3, dt.date(2021, 5, 1), "dose"),  # dose 2 missing
        (2, dt.date(2021, 3, 1), "vaccinated_on"),  # before dose 1
        (2, clock.today() + dt.timedelta(days=1), "vaccinated_on"),
        (6, dt.date(2021, 5, 1), "dose"),
    ]:
        with pytest.raises(ValidationError) as info:
            dose(person, n, day)
        assert field in info.value.error_dict


def test_a_grid_worker_of_another_grid_may_not_record(world):
    with pytest.raises(Forbidden):
        dose(world.person_a1, 1, dt.date(2021, 4, 1), world.grid_worker_b)


def test_per_grid_counts(world):
    old = registry.person_create(
        actor=None,
        household=world.household_a1,
        data={"name": "张老汉", "id_number": make_id_number(birth=dt.date(1940, 1, 2))},
    )
    dose(old, 1, dt.date(2021, 4, 1))
    dose(old, 2, dt.date(2021, 5, 1))
    dose(old, 3, dt.date(2021, 11, 1))
    dose(world.person_a1, 1, dt.date(2021, 4, 1))
    dose(world.person_a2, 1, dt.date(2021, 6, 1))
    rows = {
        r.grid.name: r
        for r in selectors.grid_vaccination_summary(
            area=world.community_a, as_of=dt.date(2021, 5, 15)
        )
    }
    first = rows["第一网格"]
    counts = (first.persons, first.aged_60_plus, first.dose_1, first.dose_2, first.dose_3)
    assert counts == (2, 1, 2, 1, 0)
    assert first.aged_60_plus_dose_1 == 1
    second = rows["第二网格"]
    assert (second.persons, second.dose_1) == (1, 0)  # its dose is after the as-of date

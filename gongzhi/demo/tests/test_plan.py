"""The plan of the demo, before the database: structure, people, reproducibility."""

import random
from collections import Counter

import pytest

from gongzhi.core.identity import (
    age_on,
    division_code_known,
    normalize_name,
    normalize_phone,
    parse_resident_id,
)
from gongzhi.demo.layout import apportion, plan_community
from gongzhi.demo.people import (
    AGE_REFERENCE,
    HouseholdPlan,
    PersonMaker,
    Registry,
    household_kinds,
    people_rng,
)
from gongzhi.demo.spec import COMMUNITIES, QIFU, TIELU, YULING


def _households(spec, seed=2023, count=400):
    rng = people_rng(spec, seed)
    maker = PersonMaker(spec, rng, Registry())
    return [maker.household(kind) for kind in household_kinds(count, rng)]


def _levels(spec):
    counts = Counter()

    def walk(node, level):
        counts[level] += 1
        for child in node.children:
            walk(child, level + 1)

    for grid in spec.grids:
        walk(grid, 1)
    return dict(counts)


def test_the_study_figures_are_in_the_spec():
    assert len(YULING.compounds) == 37
    assert YULING.households == 4992
    assert _levels(YULING) == {1: 9, 2: 86}
    assert len(QIFU.compounds) == 22
    assert _levels(QIFU) == {1: 1, 2: 22, 3: 172}
    assert _levels(TIELU) == {1: 7, 2: 15}
    assert TIELU.households == 3500


@pytest.mark.parametrize("spec", COMMUNITIES, ids=lambda s: s.slug)
def test_every_code_of_a_community_is_a_known_division(spec):
    for code, _weight in spec.birthplaces:
        assert division_code_known(code), code
    assert spec.code.startswith(spec.street.code)
    assert len(set(spec.compounds)) == len(spec.compounds)


@pytest.mark.parametrize("spec", COMMUNITIES, ids=lambda s: s.slug)
def test_plan_has_the_households_of_the_spec_and_buildings_of_sensible_size(spec):
    plan = plan_community(spec, seed=2023)
    assert plan.households == spec.households
    assert len(plan.quotas) == spec.leaf_count()
    assert all(q >= 1 for q in plan.quotas)
    for building in plan.buildings:
        assert 6 <= building.floors <= 18
        assert 2 <= building.units <= 4
        assert 2 <= building.rooms <= 4
        assert len(set(building.dwellings)) == len(building.dwellings) <= building.capacity
    assert sum(len(b.dwellings) for b in plan.buildings) == spec.households
    assert {b.compound for b in plan.buildings} == set(range(len(spec.compounds)))


def test_tielu_grids_hold_about_500_households_each():
    plan = plan_community(TIELU, seed=2023)
    per_grid, index = [], 0
    for grid in TIELU.grids:
        leaves = len(grid.leaves())
        per_grid.append(sum(plan.quotas[index : index + leaves]))
        index += leaves
    assert all(400 <= n <= 600 for n in per_grid), per_grid


def test_qifu_third_level_grids_hold_about_50_households():
    plan = plan_community(QIFU, seed=2023)
    assert 40 <= sum(plan.quotas) / len(plan.quotas) <= 60
    assert max(plan.quotas) <= 80


def test_a_compound_may_span_several_party_groups_in_yuling():
    plan = plan_community(YULING, seed=2023)
    leaves_per_compound = Counter()
    for compound in {b.compound for b in plan.buildings}:
        leaves_per_compound[compound] = len(
            {b.leaf for b in plan.buildings if b.compound == compound}
        )
    assert max(leaves_per_compound.values()) > 1


def test_grid_counts_do_not_scale_but_households_do():
    plan = plan_community(YULING, seed=2023, scale=0.02)
    assert len(plan.quotas) == 86
    assert plan.households == round(4992 * 0.02)


def test_apportion_sums_to_the_total_and_respects_the_minimum():
    parts = apportion(100, [random.random() for _ in range(30)], minimum=2)
    assert sum(parts) == 100
    assert min(parts) >= 2


def test_household_kinds_have_exactly_the_shares():
    kinds = household_kinds(1000, random.Random(1))
    assert Counter(kinds)["elderly_alone"] == 120


@pytest.mark.parametrize("spec", COMMUNITIES, ids=lambda s: s.slug)
def test_every_generated_person_passes_the_registers_validation(spec):
    for household in _households(spec):
        for person in household.persons:
            rid = parse_resident_id(person.id_number)
            assert rid.number == person.id_number
            assert rid.birth_date == person.birth_date
            assert rid.gender == person.gender
            assert normalize_name(person.name) == person.name
            if person.phone:
                assert normalize_phone(person.phone) == person.phone
            assert person.moved_in_on >= person.birth_date


def test_id_numbers_and_phones_are_unique_across_communities():
    registry = Registry()
    ids, phones = [], []
    for spec in COMMUNITIES:
        rng = people_rng(spec, 1)
        maker = PersonMaker(spec, rng, registry)
        for kind in household_kinds(500, rng):
            for person in maker.household(kind).persons:
                ids.append(person.id_number)
                phones.extend([person.phone] if person.phone else [])
    assert len(ids) == len(set(ids))
    assert len(phones) == len(set(phones))


def test_most_residents_were_born_in_the_local_district():
    people = [p for h in _households(YULING) for p in h.persons]
    local = sum(p.id_number.startswith("421087") for p in people)
    assert 0.55 <= local / len(people) <= 0.85


def test_the_same_seed_gives_the_same_people_and_another_seed_others():
    first = [(p.name, p.id_number, p.phone) for h in _households(QIFU, 5) for p in h.persons]
    again = [(p.name, p.id_number, p.phone) for h in _households(QIFU, 5) for p in h.persons]
    other = [(p.name, p.id_number, p.phone) for h in _households(QIFU, 6) for p in h.persons]
    assert first == again
    assert first != other


def _check_family(household: HouseholdPlan):
    heads = [p for p in household.persons if p.relation == "head"]
    assert len(heads) == 1
    head = heads[0]
    for person in household.persons:
        if person.relation == "spouse":
            assert person.gender != head.gender
            assert abs(person.birth_date.year - head.birth_date.year) <= 6
        if person.relation == "child":
            assert person.birth_date.year - head.birth_date.year >= 16
        if person.relation in ("parent", "parent_in_law"):
            assert head.birth_date.year - person.birth_date.year >= 16
    if household.kind == "elderly_alone":
        assert len(household.persons) == 1
        assert age_on(head.birth_date, AGE_REFERENCE) >= 65
        assert head.tags.count("elderly_alone") == 1
    else:
        assert all("elderly_alone" not in p.tags for p in household.persons)
    assert any(p.residency != "away" for p in household.persons)


def test_families_are_consistent():
    for household in _households(YULING, count=1000):
        _check_family(household)


def test_ages_are_those_of_an_ageing_city():
    people = [p for h in _households(TIELU, count=2000) for p in h.persons]
    ages = [age_on(p.birth_date, AGE_REFERENCE) for p in people]
    assert 2.4 <= len(people) / 2000 <= 2.8
    assert 0.17 <= sum(a >= 60 for a in ages) / len(ages) <= 0.26
    assert 0.08 <= sum(a < 15 for a in ages) / len(ages) <= 0.2
    assert max(ages) <= 96


def test_children_and_some_elderly_have_no_phone():
    people = [p for h in _households(YULING, count=1000) for p in h.persons]
    young = [p for p in people if age_on(p.birth_date, AGE_REFERENCE) < 12]
    old = [p for p in people if age_on(p.birth_date, AGE_REFERENCE) >= 75]
    assert young and all(p.phone == "" for p in young)
    assert 0.2 < sum(p.phone == "" for p in old) / len(old) < 0.7

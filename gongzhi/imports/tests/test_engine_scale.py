"""What keeps a big import fast and flat: the duplicate check on disk, fresh statistics."""

import pytest

from gongzhi.imports.engine import SeenIds


def test_repeats_name_the_first_row_across_chunks_and_within_one():
    seen = SeenIds()
    try:
        assert seen.repeats([("a", 2), ("b", 3)]) == {}
        # A later chunk: "a" again (first on row 2), "c" twice within the chunk.
        assert seen.repeats([("c", 4), ("a", 5), ("c", 6), ("d", 7)]) == {5: 2, 6: 4}
        # Every repeat names the first row, not the previous repeat.
        assert seen.repeats([("a", 8), ("c", 9)]) == {8: 2, 9: 4}
        assert seen.repeats([]) == {}
    finally:
        seen.close()


def test_many_chunks_find_every_repeat():
    seen = SeenIds()
    try:
        found = {}
        for start in range(0, 10_000, 2000):
            found.update(seen.repeats([(f"id{n % 7000}", n) for n in range(start, start + 2000)]))
        assert found == {n: n - 7000 for n in range(7000, 10_000)}
    finally:
        seen.close()


def test_postgresql_statistics_follow_the_rows_the_commit_adds(world, row_for, monkeypatch):
    """On PostgreSQL the commit analyses the tables it fills as it goes (autovacuum cannot
    see its uncommitted rows); the planner's row count then includes them."""
    from django.db import connection

    from gongzhi.imports import engine
    from gongzhi.imports.tests.conftest import check_and_commit, upload, xlsx
    from gongzhi.registry.models import Person
    from gongzhi.testing import make_id_number

    if connection.vendor != "postgresql":
        pytest.skip("ANALYZE is for PostgreSQL's planner")
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)  # an ANALYZE after 20 rows, then 40 ...
    names = "甲乙丙丁戊己庚辛壬癸"
    rows = [
        row_for(f"王{names[n // 10]}{names[n % 10]}", make_id_number(), room=str(100 + n))
        for n in range(25)
    ]
    batch = check_and_commit(upload(world.secretary, xlsx(rows)), world.secretary)
    assert (batch.status, batch.error, batch.rows_failed) == ("committed", "", 0)
    assert batch.rows_created == 25
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_person'")
        (counted,) = cursor.fetchone()
    # Analysed when the import had added 20 persons: those and the register before them.
    assert Person.objects.count() - 5 <= counted <= Person.objects.count()


def test_keys_chosen_by_the_commit_follow_the_database_and_never_reuse_one(world, row_for):
    """On SQLite the commit picks the new persons' and households' keys itself: after the
    largest, and after one deleted (AUTOINCREMENT never reuses a key); the register's own
    services go on after them."""
    from django.db import connection

    from gongzhi.imports.tests.conftest import check_and_commit, upload, xlsx
    from gongzhi.registry import services
    from gongzhi.registry.models import Household, Person
    from gongzhi.testing import make_id_number

    household = services.household_create(
        actor=world.secretary, building=world.building_a1, unit="9", room="909"
    )
    gone = services.person_create(
        actor=world.secretary,
        household=household,
        data={"name": "赵临时", "id_number": make_id_number(), "relation": "head"},
    )
    top_person, top_household = gone.pk, household.pk
    Person.objects.filter(pk=gone.pk).delete()
    Household.objects.filter(pk=household.pk).delete()

    rows = [
        row_for(name, make_id_number(), room=room)
        for name, room in [("钱一", "701"), ("孙二", "702")]
    ]
    batch = check_and_commit(upload(world.secretary, xlsx(rows)), world.secretary)
    assert (batch.status, batch.rows_created, batch.households_created) == ("committed", 2, 2)
    imported = Person.objects.filter(name__in=["钱一", "孙二"])
    if connection.vendor == "sqlite":
        assert sorted(p.pk for p in imported) == [top_person + 1, top_person + 2]
        assert sorted(p.household_id for p in imported) == [top_household + 1, top_household + 2]
    assert all(p.household.head_id == p.pk for p in imported)

    after = services.person_create(
        actor=world.secretary,
        household=imported[0].household,
        data={"name": "李三", "id_number": make_id_number(), "relation": "spouse"},
    )
    assert after.pk > max(p.pk for p in imported)


def test_the_import_runs_with_fewer_collections(world, row_for, monkeypatch):
    """Both phases run inside `collector.bulk_job()`: a collection during either sees the
    raised threshold; afterwards the process's own is back."""
    import gc

    from gongzhi.core import collector
    from gongzhi.imports import engine
    from gongzhi.imports.tests.conftest import check_and_commit, upload, xlsx
    from gongzhi.testing import make_id_number

    seen: list[int] = []
    in_phase = False

    def record(phase, info):
        # Only the collection each phase forces below: the process may also collect on its
        # own between the phases (outside the job), where the normal threshold is right.
        if phase == "start" and in_phase:
            seen.append(gc.get_threshold()[0])

    settle = engine.Engine.settle

    def settle_after_a_collection(self, plans):
        nonlocal in_phase
        in_phase = True
        try:
            gc.collect()  # one collection inside each phase, whatever it allocates
        finally:
            in_phase = False
        return settle(self, plans)

    monkeypatch.setattr(engine.Engine, "settle", settle_after_a_collection)
    before = gc.get_threshold()
    rows = [row_for(f"李{n}", make_id_number(), room=str(100 + i)) for i, n in enumerate("甲乙丙")]
    batch = upload(world.secretary, xlsx(rows))
    gc.callbacks.append(record)
    try:
        batch = check_and_commit(batch, world.secretary)
    finally:
        gc.callbacks.remove(record)
    assert (batch.status, batch.rows_created) == ("committed", 3)
    assert len(seen) >= 2
    assert set(seen) == {collector.YOUNG_THRESHOLD}
    assert before[0] != collector.YOUNG_THRESHOLD
    assert gc.get_threshold() == before


@pytest.mark.django_db
def test_register_lookups_find_the_same_rows_whatever_the_keys_look_like(world):
    """`_select_in` sends whole numbers and hex keys to PostgreSQL as one text it splits,
    anything else as a list: each form finds exactly the rows asked for."""
    from gongzhi.imports.engine import _select_in
    from gongzhi.registry.models import Person

    people = list(Person.objects.order_by("pk")[:3])
    assert len(people) == 3
    sql = "SELECT id, id_number_index, name FROM registry_person WHERE"
    by_id = _select_in(sql, "id", [people[0].pk, people[2].pk, 10**9])
    assert sorted(r[0] for r in by_id) == [people[0].pk, people[2].pk]
    wanted = [people[1].id_number_index, "0" * 32]
    by_index = _select_in(sql, "id_number_index", wanted)
    assert [r[0] for r in by_index] == [people[1].pk]
    # Not hex (a name, with a comma and a quote): still one exact match per value.
    names = [people[0].name, "甲,乙", "O'Brien"]
    by_name = _select_in(sql, "name", names)
    assert {r[0] for r in by_name} == {p.pk for p in Person.objects.filter(name=people[0].name)}

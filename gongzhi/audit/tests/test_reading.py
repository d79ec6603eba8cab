"""The auditor reads the log in their own language: actions, objects, fields and the
system's purposes translated at render time (the stored entries, and so the chain, are
unchanged); users by display name; filters by action label, date range and person."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone, translation

from gongzhi.audit import vocabulary
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.services import audit_chain_check, audit_record
from gongzhi.audit.tests.test_views import as_auditor  # noqa: F401 - the fixture
from gongzhi.core import clock
from gongzhi.registry.models import Person


def _page(client, **params):
    with translation.override("zh-hans"):
        response = client.get(reverse("audit:log"), params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response


def test_an_escalation_reads_as_words_with_the_orders_number(as_auditor, world):  # noqa: F811
    audit_record(
        actor=world.secretary,
        action="workorder.escalate",
        object_type="workorders.workorder",
        object_id=49,
        object_label="#49 6",
        area_path=world.grid_a1.path,
        fields=["status"],
    )
    body = _page(as_auditor, action="workorder.escalate").content.decode()
    assert "工单上报" in body
    assert "GZ000049" in body
    assert "#49 6" not in body and "workorders.workorder:49" not in body


def test_a_person_reads_as_a_masked_name_and_fields_by_their_names(as_auditor, world):  # noqa: F811
    person = world.person_a1
    audit_record(
        actor=world.grid_worker_a,
        action="person.reveal",
        obj=person,
        area_path=person.area_path,
        fields=["id_number"],
        purpose="入户核实",
    )
    body = _page(as_auditor, action="person.reveal").content.decode()
    with translation.override("zh-hans"):
        id_label = str(Person._meta.get_field("id_number").verbose_name)
    assert person.audit_label in body and person.name not in body
    assert f"registry.person:{person.pk}" not in body
    assert id_label in body and ">id_number<" not in body
    assert "入户核实" in body


def test_users_show_by_display_name(as_auditor, world):  # noqa: F811
    world.secretary.display_name = "王书记"
    world.secretary.save(update_fields=["display_name"])
    audit_record(actor=world.secretary, action="area.rename", obj=world.grid_a1)
    body = _page(as_auditor, action="area.rename").content.decode()
    assert "王书记" in body


def test_old_english_purposes_read_translated_and_the_chain_is_unchanged(as_auditor, world):  # noqa: F811
    old = audit_record(
        actor=world.secretary,
        action="export",
        object_type="registry.person",
        object_label="registry.persons",
        purpose="xlsx, 12 rows, personal",
    )
    stored = AuditEntry.objects.get(pk=old.pk)
    body = _page(as_auditor, action="export").content.decode()
    assert "12 rows" not in body
    with translation.override("zh-hans"):
        assert vocabulary.purpose_text(stored.purpose, stored.action) in body
    assert stored.purpose == "xlsx, 12 rows, personal"  # read, never rewritten
    assert audit_chain_check().ok


def test_new_system_purposes_are_stored_as_codes_and_read_in_either_language(world):
    stored = vocabulary.system_purpose("export", fmt="csv", rows=3, sensitivity="personal")
    assert stored.startswith(vocabulary.MARK + "export ")
    with translation.override("en"):
        assert vocabulary.purpose_text(stored) == "csv, 3 rows, personal data"
    with translation.override("zh-hans"):
        assert "3" in vocabulary.purpose_text(stored) and "rows" not in vocabulary.purpose_text(
            stored
        )


def test_a_typed_purpose_cannot_pass_for_a_system_one(world):
    forged = vocabulary.MARK + 'export {"fmt":"xlsx","rows":1,"sensitivity":"none"}'
    stored = vocabulary.typed_purpose(forged)
    assert vocabulary.purpose_text(stored, "person.reveal") == forged
    # A typed sentence that looks like a system one stays as typed.
    assert vocabulary.purpose_text("xlsx, 12 rows, personal", "person.reveal") == (
        "xlsx, 12 rows, personal"
    )


def test_the_action_filter_is_a_choice_of_labels(as_auditor, world):  # noqa: F811
    response = _page(as_auditor)
    body = response.content.decode()
    assert '<select name="action"' in body
    assert "工单上报" in body  # an option, in the reader's language
    assert "person.reveal</option>" not in body
    grouped = _page(as_auditor, action="household.")
    assert {e.action for e in grouped.context["page_obj"]} == {"household.create"}


def test_the_log_filters_by_date_range(as_auditor, world):  # noqa: F811
    day = dt.date(2026, 3, 10)
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    with clock.freeze(at):
        inside = audit_record(actor=world.secretary, action="area.rename", obj=world.grid_a1)
    with clock.freeze(at + dt.timedelta(days=2)):
        later = audit_record(actor=world.secretary, action="area.rename", obj=world.grid_a1)
    seqs = {
        e.seq
        for e in _page(as_auditor, date_from="2026-03-10", date_to="2026-03-10").context["page_obj"]
    }
    assert inside.seq in seqs and later.seq not in seqs
    seqs = {e.seq for e in _page(as_auditor, date_from="2026-03-11").context["page_obj"]}
    assert later.seq in seqs and inside.seq not in seqs


def test_the_log_filters_by_the_person_acted_upon(as_auditor, world):  # noqa: F811
    person, other = world.person_a1, world.person_b1
    for who in (person, other):
        audit_record(
            actor=world.grid_worker_a,
            action="person.reveal",
            obj=who,
            area_path=who.area_path,
            fields=["phone"],
            purpose="回访",
        )
    response = _page(as_auditor, person=person.pk)
    entries = list(response.context["page_obj"])
    assert entries and {(e.object_type, e.object_id) for e in entries} == {
        ("registry.person", str(person.pk))
    }
    assert person.audit_label in response.content.decode()


def test_the_auditor_finds_the_person_with_the_person_search_masked(as_auditor, world):  # noqa: F811
    person = world.person_a1
    body = _page(as_auditor, person_q=person.name).content.decode()
    assert f"person={person.pk}" in body
    assert person.audit_label in body
    assert person.name not in body.replace(f'value="{person.name}"', "")


def test_every_action_the_code_records_has_a_label():
    """A new action code shows as itself until it is named in `vocabulary.ACTIONS`."""
    import pathlib
    import re

    from gongzhi.health.states import Action as WatchAction
    from gongzhi.workorders.states import Action as OrderAction

    root = pathlib.Path(__file__).resolve().parents[2]
    prefixes = "|".join(re.escape(p.rstrip(".")) for p in vocabulary.ACTION_GROUPS)
    code = re.compile(rf'action="((?:{prefixes})(?:\.[a-z_]+)+)"')
    used = {"export"}
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        used |= set(code.findall(path.read_text(encoding="utf-8")))
    used |= {f"workorder.{a}" for a in OrderAction.values}
    used |= {f"watchlist.{a}" for a in WatchAction.values}
    assert sorted(used - set(vocabulary.ACTIONS)) == []

import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from gongzhi.audit.models import AuditEntry, AuditHead
from gongzhi.audit.services import GENESIS, audit_chain_check, audit_record
from gongzhi.core import context
from gongzhi.registry import services


def _entries(n: int, actor=None) -> list[AuditEntry]:
    with transaction.atomic():
        return [
            audit_record(actor=actor, action="test.event", object_type="thing", object_id=i)
            for i in range(n)
        ]


def _disable_guard(cursor) -> None:
    """What a tamperer with database rights does first: remove the append-only trigger."""
    if connection.vendor == "sqlite":
        cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
    else:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_change")


@pytest.mark.django_db
def test_entries_are_numbered_and_chained():
    first, second = _entries(2)
    assert (first.seq, second.seq) == (1, 2) or second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert AuditHead.objects.get(pk=1).hash == second.hash


@pytest.mark.django_db
def test_first_entry_links_to_genesis():
    assert not AuditEntry.objects.exists()
    (entry,) = _entries(1)
    assert entry.prev_hash == GENESIS


@pytest.mark.django_db
def test_an_intact_chain_verifies():
    _entries(5)
    report = audit_chain_check()
    assert report.ok and report.entries == AuditEntry.objects.count()


@pytest.mark.django_db
def test_entry_records_the_client_address():
    token = context.activate(context.RequestContext(ip="203.0.113.7", via="web"))
    try:
        (entry,) = _entries(1)
    finally:
        context.deactivate(token)
    assert entry.ip == "203.0.113.7" and entry.via == "web"


@pytest.mark.django_db
def test_updating_an_entry_is_refused_by_the_database():
    (entry,) = _entries(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE id = %s", [entry.pk])


@pytest.mark.django_db
def test_tampering_in_sql_is_found_and_named(capsys):
    entries = _entries(6)
    victim = entries[3]
    with connection.cursor() as cursor:
        _disable_guard(cursor)
        cursor.execute(
            "UPDATE audit_auditentry SET purpose = 'nothing to see' WHERE id = %s", [victim.pk]
        )
    with pytest.raises(CommandError) as info:
        call_command("audit", "verify")
    assert info.value.returncode == 1
    assert f"#{victim.seq}" in str(info.value)


@pytest.mark.django_db
def test_removing_the_newest_entries_is_found():
    entries = _entries(4)
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_change")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].pk])
    report = audit_chain_check()
    assert not report.ok and report.first_broken_seq == entries[-1].seq


@pytest.mark.django_db
def test_removing_an_entry_in_the_middle_is_found():
    entries = _entries(4)
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_change")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    report = audit_chain_check()
    assert not report.ok and report.first_broken_seq == entries[1].seq


@pytest.mark.django_db
def test_verify_command_exits_zero_when_intact(capsys):
    _entries(3)
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out


def test_audit_entries_never_hold_personal_values(world):
    person = world.person_a1
    plain_before = person.phone.reveal()
    services.person_update(actor=world.grid_worker_a, person=person, data={"phone": "13700002222"})
    entry = AuditEntry.objects.filter(action="person.update").latest("seq")
    row = " ".join(str(v) for v in AuditEntry.objects.filter(pk=entry.pk).values().first().values())
    assert entry.fields == ["phone"]
    assert "13700002222" not in row and plain_before not in row
    assert person.id_number.reveal() not in row


def test_verify_command_exit_code_reaches_the_shell(tmp_path):
    """`gongzhi audit verify` as an operator runs it: a real process and its exit status."""
    db = tmp_path / "audit.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    import os
    import sys

    env = {**os.environ, **env}
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "gongzhi", *a], env=env, capture_output=True, text=True
    )
    assert run("migrate", "-v", "0").returncode == 0
    assert run("audit", "verify").returncode == 0
    script = (
        "from django.db import transaction\n"
        "from gongzhi.audit.services import audit_record\n"
        "with transaction.atomic():\n"
        "    [audit_record(actor=None, action='t', object_id=i) for i in range(3)]\n"
    )
    assert run("shell", "-c", script).returncode == 0
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_entry_no_update")
    con.execute("UPDATE audit_auditentry SET action = 'forged' WHERE seq = 2")
    con.commit()
    con.close()
    broken = run("audit", "verify")
    assert broken.returncode != 0
    assert "#2" in broken.stderr

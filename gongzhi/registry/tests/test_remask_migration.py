"""The history kept masks that hid only the birth date; the data migration re-masks them."""

import importlib

from django.apps import apps as django_apps

from gongzhi.registry.models import RegisterChange


def test_old_masks_in_the_history_are_masked_again(world):
    change = RegisterChange.objects.filter(person=world.person_a1).first()
    change.changes = {"id_number": ["421087********1234", "421087********567X"], "name": "x"}
    change.save(update_fields=["changes"])
    migration = importlib.import_module(
        "gongzhi.registry.migrations.0006_remask_id_numbers_in_history"
    )
    migration.forwards(django_apps, None)
    change.refresh_from_db()
    assert change.changes == {
        "id_number": ["421087" + "*" * 11 + "4", "421087" + "*" * 11 + "X"],
        "name": "x",
    }

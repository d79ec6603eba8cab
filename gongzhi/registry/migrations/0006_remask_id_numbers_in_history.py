"""The register's history kept ID numbers masked as `420102********1234`, which hides only
the birth date — and the birth date is shown beside it. Re-mask them as today's mask
(`420102***********4`: region and check digit). The pattern is copied, not imported."""

import re

from django.db import migrations

_OLD_MASK = re.compile(r"\A([0-9]{6})\*{8}[0-9]{3}([0-9Xx])\Z")


def _remask(value):
    if isinstance(value, str):
        found = _OLD_MASK.match(value)
        if found:
            return found.group(1) + "*" * 11 + found.group(2)
    return value


def forwards(apps, schema_editor):
    RegisterChange = apps.get_model("registry", "RegisterChange")
    changed = []
    rows = RegisterChange.objects.filter(changes__has_key="id_number").only("pk", "changes")
    for change in rows.iterator(chunk_size=2000):
        pair = change.changes.get("id_number")
        new = [_remask(v) for v in pair] if isinstance(pair, list) else _remask(pair)
        if new != pair:
            change.changes["id_number"] = new
            changed.append(change)
        if len(changed) >= 2000:
            RegisterChange.objects.bulk_update(changed, ["changes"])
            changed = []
    if changed:
        RegisterChange.objects.bulk_update(changed, ["changes"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_transfer_requests")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

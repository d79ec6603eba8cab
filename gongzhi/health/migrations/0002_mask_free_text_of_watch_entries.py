"""Mask ID numbers and mobile numbers that earlier versions stored in the clear in watch
entries' free text (stated address, origin, source) and in row problems (which quoted
digits of an invalid ID number). The patterns are copied from `core.masking` (a
migration never imports app code) and must stay as they were when it was written."""

import re

from django.db import migrations

_WIDE = str.maketrans("０１２３４５６７８９＋Ｘｘ－\u3000", "0123456789+Xx- ")
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_PHONE = re.compile(r"(?<![0-9+])((?:\+|00)?86[ -]?)?(1[3-9][0-9](?:[ -]?[0-9]){8})(?![0-9])")
# An invalid ID number's message quoted its birth-date digits or its division code.
_ID_DIGITS = re.compile(r"(?<![0-9])[0-9]{6,8}(?![0-9])")
_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def _mask_id(value):
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 7) + value[-1:]


# The mask earlier versions wrote (`420102********1234`: only the birth date hidden) is
# re-masked to today's (`420102***********4`): beside a birth date it was no mask.
_OLD_MASK = re.compile(r"(?<![0-9*])([0-9]{6})\*{8}[0-9]{3}([0-9Xx])(?![0-9*])")


def _mask_phone(value):
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(value):
    if not isinstance(value, str) or not any(c.isdigit() for c in value):
        return value
    value = value.translate(_WIDE)
    value = _OLD_MASK.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), value)
    value = _ID_NUMBER.sub(lambda m: _mask_id(m.group(0)), value)
    return _PHONE.sub(
        lambda m: (m.group(1) or "") + _mask_phone(m.group(2).replace(" ", "").replace("-", "")),
        value,
    )


def _problems(problems):
    out = {}
    for field, messages in (problems or {}).items():
        masked = [mask_text(m) for m in messages] if isinstance(messages, list) else messages
        if field == "id_number" and isinstance(masked, list):
            masked = [
                _ID_DIGITS.sub(lambda m: "*" * len(m.group(0)), _DATE.sub("****-**-**", m))
                if isinstance(m, str)
                else m
                for m in masked
            ]
        out[field] = masked
    return out


def forwards(apps, schema_editor):
    WatchEntry = apps.get_model("health", "WatchEntry")
    fields = ("origin", "source", "address", "problems")
    entries = WatchEntry.objects.only("pk", *fields)
    for entry in entries.iterator(chunk_size=2000):
        changed = {}
        for name in ("origin", "source", "address"):
            masked = mask_text(getattr(entry, name))
            if masked != getattr(entry, name):
                changed[name] = masked
        problems = _problems(entry.problems)
        if problems != (entry.problems or {}):
            changed["problems"] = problems
        if changed:
            WatchEntry.objects.filter(pk=entry.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [("health", "0001_upstream_lists_watch_entries_vaccinations")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]

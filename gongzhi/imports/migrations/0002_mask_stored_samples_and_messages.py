"""Mask what earlier versions stored in the clear: preview samples kept every column that
was not mapped to the ID number or the phone (户主身份证号, 紧急联系人电话 …) as it was,
and some row problems quoted personal values (the birth date an ID number gives, the
digits of an ID number). The patterns are copied from `core.masking` (a migration never
imports app code) and must stay as they were when it was written."""

import re

from django.db import migrations

_WIDE = str.maketrans("０１２３４５６７８９＋Ｘｘ－\u3000", "0123456789+Xx- ")
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_PHONE = re.compile(r"(?<![0-9+])((?:\+|00)?86[ -]?)?(1[3-9][0-9](?:[ -]?[0-9]){8})(?![0-9])")
_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{6,8}(?![0-9])")
# Problems whose message quoted a value derived from the ID number.
_ID_DERIVED = {"birth_date_mismatch", "birth_date", "division", "gender_mismatch"}


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


def _message(code, message):
    message = mask_text(message)
    if code in _ID_DERIVED and isinstance(message, str):
        message = _DATE.sub("****-**-**", message)
        message = _DIGIT_RUN.sub(lambda m: "*" * len(m.group(0)), message)
        if code == "gender_mismatch":
            message = re.sub(r"\s?[（(][^)）]*[)）]", "", message)
    return message


def forwards(apps, schema_editor):
    ImportBatch = apps.get_model("imports", "ImportBatch")
    ImportChunk = apps.get_model("imports", "ImportChunk")
    for batch in ImportBatch.objects.only("pk", "sample").iterator(chunk_size=200):
        sample = [[mask_text(cell) for cell in row] for row in batch.sample or []]
        if sample != batch.sample:
            ImportBatch.objects.filter(pk=batch.pk).update(sample=sample)
    chunks = ImportChunk.objects.filter(errors__gt=0).only("pk", "rows")
    for chunk in chunks.iterator(chunk_size=20):
        rows = []
        for outcome in chunk.rows:
            if len(outcome) == 4 and outcome[1] == "error" and isinstance(outcome[3], list):
                details = [
                    [p[0], p[1], _message(p[1], p[2])] if isinstance(p, list) and len(p) == 3 else p
                    for p in outcome[3]
                ]
                outcome = [*outcome[:3], details]
            rows.append(outcome)
        if rows != chunk.rows:
            ImportChunk.objects.filter(pk=chunk.pk).update(rows=rows)


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_import_batches_and_chunks")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]

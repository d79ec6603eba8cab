"""Working-hours SLAs counted "a day" as 24 hours of working time (over three office
days); a day of working time is one office day, 7.5 hours (08:30–12:00, 13:30–17:30).

Only rows still holding the old defaults change: a community's own values stay.
"""

from django.db import migrations

H = 60
DAY = 24 * H
WORKDAY = 7 * H + 30  # 08:30–12:00 and 13:30–17:30

# (category, priority): (old response, old resolution) -> (new response, new resolution)
CHANGES = {
    ("sanitation", "normal"): ((8 * H, 3 * DAY), (8 * H, 3 * WORKDAY)),
    ("sanitation", "high"): ((4 * H, DAY), (4 * H, WORKDAY)),
    ("mediation", "normal"): ((DAY, 7 * DAY), (WORKDAY, 7 * WORKDAY)),
    ("mediation", "high"): ((4 * H, 2 * DAY), (4 * H, 2 * WORKDAY)),
    ("complaint", "normal"): ((DAY, 5 * DAY), (WORKDAY, 5 * WORKDAY)),
    ("complaint", "high"): ((4 * H, 2 * DAY), (4 * H, 2 * WORKDAY)),
    ("suggestion", "low"): ((3 * DAY, 14 * DAY), (3 * WORKDAY, 14 * WORKDAY)),
    ("suggestion", "normal"): ((2 * DAY, 10 * DAY), (2 * WORKDAY, 10 * WORKDAY)),
}


def _apply(apps, *, forwards: bool) -> None:
    Sla = apps.get_model("workorders", "Sla")
    for (code, priority), (old, new) in CHANGES.items():
        before, after = (old, new) if forwards else (new, old)
        Sla.objects.filter(
            category__code=code,
            priority=priority,
            working_hours=True,
            response_minutes=before[0],
            resolution_minutes=before[1],
        ).update(response_minutes=after[0], resolution_minutes=after[1])


def forwards(apps, schema_editor):
    _apply(apps, forwards=True)


def backwards(apps, schema_editor):
    _apply(apps, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("workorders", "0002_default_categories_and_slas")]

    operations = [migrations.RunPython(forwards, backwards)]

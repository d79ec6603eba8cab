"""The supply-delivery category (物资配送) of lockdown supply runs, with tight deadlines.

During a lockdown residents post shopping lists (gongzhi.emergency.shopping); each list and
each volunteer's run is an order of this category, so it reuses the loop, ratings and
points. Only what is missing is added: a community's own values stay.
"""

from django.db import migrations

H = 60

# code, name, name_en, description, description_en, kind, skill, default priority,
# anonymous allowed, working hours, {priority: (response, resolution)}
CATEGORIES = [
    ("delivery", "物资配送", "Supply delivery", "封控期间居民购物清单的代购与配送",
     "Bulk shopping and delivery of residents' lists during a lockdown",
     "service", "errands", "high", False, False,
     {"normal": (2 * H, 12 * H), "high": (H, 6 * H), "urgent": (30, 3 * H)}),
]  # fmt: skip
SORT = 95  # after the defaults (their sorts run 10 … 90)


def forwards(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    Sla = apps.get_model("workorders", "Sla")
    for row in CATEGORIES:
        (code, name, name_en, desc, desc_en, kind, skill, priority, anonymous, working, slas) = row
        category, _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "description": desc,
                "description_en": desc_en,
                "kind": kind,
                "skill": skill,
                "default_priority": priority,
                "allows_anonymous": anonymous,
                "sort": SORT,
            },
        )
        for level, (response, resolution) in slas.items():
            Sla.objects.get_or_create(
                category=category,
                priority=level,
                defaults={
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "working_hours": working,
                },
            )


def backwards(apps, schema_editor):
    codes = [row[0] for row in CATEGORIES]
    apps.get_model("workorders", "Category").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("workorders", "0007_report_ins")]
    operations = [migrations.RunPython(forwards, backwards)]

"""The categories every community starts with, and their deadlines (SLAs).

Minutes: (response = someone accepts, resolution = resolved). Working-hours SLAs count
only office hours (see workorders/sla.py). Communities may change them later; this
migration only adds what is missing.
"""

from django.db import migrations

H = 60
DAY = 24 * H

# code, name, name_en, description, description_en, kind, skill, default priority,
# anonymous allowed, working hours, {priority: (response, resolution)}
CATEGORIES = [
    ("repair", "维修", "Repairs", "水电、门窗、公共设施等维修", "Water, power, doors, shared facilities",
     "service", "repair", "normal", False, False,
     {"normal": (4 * H, 2 * DAY), "high": (2 * H, DAY), "urgent": (30, 4 * H), "low": (DAY, 5 * DAY)}),
    ("errands", "代购代办", "Errands and shopping", "买菜买药、代缴代办", "Shopping, medicine, paperwork",
     "service", "errands", "normal", False, False,
     {"normal": (4 * H, DAY), "high": (2 * H, 8 * H), "urgent": (H, 4 * H)}),
    ("escort", "就医陪护", "Accompany to the doctor", "陪同就医、取药、康复陪护", "To the clinic, fetching medicine",
     "service", "escort", "normal", False, False,
     {"normal": (8 * H, 2 * DAY), "high": (2 * H, DAY), "urgent": (30, 4 * H)}),
    ("sanitation", "环境卫生", "Sanitation", "垃圾清运、楼道清洁、污水", "Rubbish, stairwells, drains",
     "service", "sanitation", "normal", False, True,
     {"normal": (8 * H, 3 * DAY), "high": (4 * H, DAY)}),
    ("mediation", "矛盾调解", "Mediation", "邻里纠纷、家庭矛盾", "Disputes between neighbours or in families",
     "service", "mediation", "normal", True, True,
     {"normal": (DAY, 7 * DAY), "high": (4 * H, 2 * DAY)}),
    ("elder_care", "关爱探访", "Visits and care", "独居老人探访、生活照料", "Visiting and helping elderly residents",
     "service", "care", "normal", False, False,
     {"normal": (DAY, 3 * DAY), "high": (4 * H, DAY), "urgent": (H, 4 * H)}),
    ("complaint", "投诉", "Complaint", "对社区服务或公共事务的投诉", "About a service or a public matter",
     "complaint", "general", "normal", True, True,
     {"normal": (DAY, 5 * DAY), "high": (4 * H, 2 * DAY)}),
    ("suggestion", "建议", "Suggestion", "对社区治理的意见建议", "Ideas for the community",
     "suggestion", "general", "low", True, True,
     {"low": (3 * DAY, 14 * DAY), "normal": (2 * DAY, 10 * DAY)}),
    ("other", "其他求助", "Other help", "以上之外的求助", "Anything else",
     "service", "general", "normal", False, False,
     {"normal": (8 * H, 3 * DAY), "high": (2 * H, DAY), "urgent": (H, 4 * H)}),
]  # fmt: skip


def forwards(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    Sla = apps.get_model("workorders", "Sla")
    for sort, row in enumerate(CATEGORIES, start=1):
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
                "sort": sort * 10,
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
    dependencies = [("workorders", "0001_work_orders_offers_sla_pairings")]
    operations = [migrations.RunPython(forwards, backwards)]

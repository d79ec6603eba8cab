"""Tags every register starts with, and the root of the area tree."""

from django.db import migrations

TAGS = [
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("elderly", "高龄老人", "Aged 80 or over"),
    ("disabled", "残疾人", "Disabled"),
    ("chronic_illness", "慢性病", "Chronic illness"),
    ("key_person", "重点人员", "Key person"),
    ("party_member", "党员", "Party member"),
    ("low_income", "低保户", "Minimum-income support"),
    ("veteran", "退役军人", "Veteran"),
    ("pregnant", "孕产妇", "Pregnant or postpartum"),
    ("left_behind_child", "留守儿童", "Left-behind child"),
    ("volunteer", "志愿者", "Volunteer"),
]


def forwards(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for sort, (code, name, name_en) in enumerate(TAGS, start=1):
        Tag.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort": sort * 10}
        )
    Area = apps.get_model("registry", "Area")
    Area.objects.get_or_create(
        path="0001",
        defaults={"kind": "root", "name": "共治平台", "code": "ROOT", "depth": 1},
    )


def backwards(apps, schema_editor):
    apps.get_model("registry", "Tag").objects.filter(code__in=[t[0] for t in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

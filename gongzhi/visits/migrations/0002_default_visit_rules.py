"""The platform's default visit rules, on the root of the area tree: a community that sets
nothing visits 独居老人 weekly, 重点人员 every two weeks, 残疾人 and 高龄老人 monthly."""

from django.db import migrations

# tag code (registry's default tags) -> every N days
DEFAULT_RULES = {
    "elderly_alone": 7,
    "key_person": 14,
    "disabled": 30,
    "elderly": 30,
}


def forwards(apps, schema_editor):
    Area = apps.get_model("registry", "Area")
    Tag = apps.get_model("registry", "Tag")
    VisitRule = apps.get_model("visits", "VisitRule")
    root = Area.objects.filter(kind="root").order_by("path").first()
    if root is None:
        return
    tags = {t.code: t for t in Tag.objects.filter(code__in=list(DEFAULT_RULES))}
    for code, days in DEFAULT_RULES.items():
        if code in tags:
            VisitRule.objects.get_or_create(
                area=root, tag=tags[code], defaults={"area_path": root.path, "every_days": days}
            )


def backwards(apps, schema_editor):
    apps.get_model("visits", "VisitRule").objects.filter(
        area__kind="root", tag__code__in=list(DEFAULT_RULES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_visits_and_rules"),
        ("registry", "0002_default_tags_and_root"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]

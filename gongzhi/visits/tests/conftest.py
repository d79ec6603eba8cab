import importlib

import pytest
from django.apps import apps as django_apps

from gongzhi.workorders.defaults import ensure_default_categories


@pytest.fixture(autouse=True)
def _reference_data(world):
    """The default visit rules and work-order categories (the data migrations'): a
    transactional test elsewhere may have emptied the tables."""
    from gongzhi.visits.models import VisitRule

    ensure_default_categories()
    if not VisitRule.objects.exists():
        migration = importlib.import_module("gongzhi.visits.migrations.0002_default_visit_rules")
        migration.forwards(django_apps, None)

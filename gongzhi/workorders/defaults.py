"""The default categories and SLAs, as the data migration makes them.

A transactional test empties every table when it ends; `ensure_default_categories` puts
the migrations' rows back (re-running the data migrations themselves, as `gongzhi.testing`
does for the register's reference rows).
"""

from __future__ import annotations

import importlib

from django.apps import apps as django_apps

from gongzhi.workorders.models import Category

_MIGRATIONS = (
    "gongzhi.workorders.migrations.0002_default_categories_and_slas",
    "gongzhi.workorders.migrations.0003_working_day_slas",
    "gongzhi.workorders.migrations.0008_delivery_category_for_supply_runs",
)


def ensure_default_categories() -> None:
    if Category.objects.exists():
        return
    for name in _MIGRATIONS:
        importlib.import_module(name).forwards(django_apps, None)

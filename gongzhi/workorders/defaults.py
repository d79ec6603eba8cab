"""The default categories and SLAs, as the data migration makes them.

A transactional test empties every table when it ends; `ensure_default_categories` puts
the migration's rows back (re-running the migration itself, as `gongzhi.testing` does for
the register's reference rows).
"""

from __future__ import annotations

import importlib

from django.apps import apps as django_apps

from gongzhi.workorders.models import Category

_MIGRATION = "gongzhi.workorders.migrations.0002_default_categories_and_slas"


def ensure_default_categories() -> None:
    if Category.objects.exists():
        return
    importlib.import_module(_MIGRATION).forwards(django_apps, None)

"""Download of who has not read a notice (see `gongzhi.web.exports`): names masked."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import Column, Export, Sensitivity, export_response

__all__ = ["UNREAD", "export_response"]

UNREAD: Export[Any] = Export(
    name="notices.unread",
    filename=_("not read"),
    object_type="notices.notice",
    sensitivity=Sensitivity.PERSONAL,  # masked names and dwellings
    scope_perms=(Perm.NOTICE_PUBLISH,),
    columns=(
        Column(_("Building"), lambda r: r.building),
        Column(_("Dwelling"), lambda r: r.dwelling),
        Column(pgettext_lazy("person", "Name"), lambda r: r.name),
        Column(_("Aged 65+"), lambda r: "✓" if r.elder else ""),
        Column(_("SMS sent"), lambda r: "✓" if r.reminded else ""),
    ),
)

"""Downloads of emergency mode's lists (see `gongzhi.web.exports`).

The supplies inventory: stock lines of stores, no personal information."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import Column, Export, Sensitivity, export_response, requested_format

__all__ = ["INVENTORY", "export_response", "requested_format"]


def _flag(which: int) -> Any:
    def value(item: Any) -> str:
        from gongzhi.emergency.supply_selectors import flags

        return str(_("Yes")) if flags(item)[which] else ""

    return value


INVENTORY: Export[Any] = Export(
    name="emergency.inventory",
    filename=_("Supplies inventory"),
    object_type="emergency.supplyitem",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.EMERGENCY_VIEW,),
    batch=1000,
    columns=(
        Column(_("Store"), lambda i: i.area.name),
        Column(_("Category"), lambda i: i.category),
        Column(_("Item"), lambda i: i.name),
        Column(_("Unit"), lambda i: i.unit),
        Column(_("Quantity"), lambda i: i.quantity),
        Column(_("Minimum level"), lambda i: i.minimum),
        Column(_("Expires on"), lambda i: i.expires_on.isoformat() if i.expires_on else ""),
        Column(_("Kept in"), lambda i: i.space.name if i.space_id else ""),
        Column(_("Below minimum"), _flag(0)),
        Column(_("Expiring"), _flag(1)),
    ),
)

"""Downloads of staff administration (`web.exports`: scoped, audited by the mechanism)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.models import Role
from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import Column, Export, Sensitivity, export_response

__all__ = ["HOLDERS", "export_response"]


def _since(membership):
    at = membership.granted_at or membership.created_at
    return at.date() if at else ""


HOLDERS: Export[Any] = Export(
    name="accounts.holders",
    filename=_("who holds what"),
    object_type="accounts.membership",
    sensitivity=Sensitivity.PERSONAL,  # staff names
    scope_perms=(Perm.ACCOUNTS_MANAGE,),
    columns=(
        Column(_("Area"), lambda m: m.area.name),
        Column(_("Area code"), lambda m: m.area.code),
        Column(_("Role"), lambda m: str(Role(m.role).label)),
        Column(pgettext_lazy("staff", "Person"), lambda m: m.user.display_name),
        Column(_("Username"), lambda m: m.user.username),
        Column(_("Since"), _since),
    ),
)

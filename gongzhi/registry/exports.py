"""The register's downloads: the household list and the persons of the listed households,
masked as on screen (see `gongzhi.web.exports`)."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.policy import Perm
from gongzhi.core import identity
from gongzhi.registry import selectors
from gongzhi.web.exports import Column, Export, ExportContext, Sensitivity, export_response

__all__ = ["HOUSEHOLDS", "PERSONS", "export_response"]


def _grid(building: Any) -> str:
    return building.parent.name if building.parent_id else ""


def _with_counts(batch: list[Any], _context: ExportContext) -> list[Any]:
    return selectors.with_member_counts(batch)


HOUSEHOLDS: Export[Any] = Export(
    name="registry.households",
    filename=_("households"),
    object_type="registry.household",
    sensitivity=Sensitivity.PERSONAL,
    scope_perms=(Perm.REGISTER_VIEW,),
    prepare=_with_counts,
    columns=(
        Column(_("Address"), lambda h: h.address),
        Column(_("Grid"), lambda h: _grid(h.building)),
        Column(_("Head of household"), lambda h: h.head.name if h.head_id else ""),
        Column(_("People"), lambda h: h.member_count),
        Column(_("Status"), lambda h: h.get_status_display()),
        Column(_("Notes"), lambda h: h.notes),
    ),
)


def _tag_label(tag: Any) -> str:
    return tag.name_en if translation.get_language() == "en" else tag.name


def _persons(batch: list[Any], context: ExportContext) -> list[Any]:
    prefetch_related_objects(batch, "tags")
    for person in batch:
        person.export_age = identity.age_on(person.birth_date, context.today)
    return batch


PERSONS: Export[Any] = Export(
    name="registry.persons",
    filename=_("persons"),
    object_type="registry.person",
    sensitivity=Sensitivity.PERSONAL,
    scope_perms=(Perm.REGISTER_VIEW,),
    prepare=_persons,
    columns=(
        Column(_("Address"), lambda p: p.household.address),
        Column(_("Grid"), lambda p: _grid(p.household.building)),
        Column(pgettext_lazy("person", "Name"), lambda p: p.name),
        Column(_("Relation"), lambda p: p.get_relation_display()),
        Column(_("Gender"), lambda p: p.get_gender_display()),
        Column(_("Age"), lambda p: p.export_age),
        # A Sealed value's text is its mask.
        Column(_("Resident ID number"), lambda p: str(p.id_number) if p.id_number else ""),
        Column(_("Phone"), lambda p: str(p.phone) if p.phone else ""),
        Column(_("Tags"), lambda p: "、".join(_tag_label(t) for t in p.tags.all())),
        Column(_("Residency"), lambda p: p.get_residency_display()),
    ),
)

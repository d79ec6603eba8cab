"""Forms of the area pages: they parse input; `registry.areas` validates and writes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.validation import errors_to_form
from gongzhi.registry.areas import DIMENSIONS, NAME_MAX


def _dimension(label: Any, field: str) -> forms.IntegerField:
    low, high = DIMENSIONS[field]
    return forms.IntegerField(label=label, required=False, min_value=low, max_value=high)


class _Dimensions(forms.Form):
    units = _dimension(_("Units (单元)"), "units")
    floors = _dimension(_("Floors"), "floors")
    rooms_per_floor = _dimension(_("Dwellings per floor and unit"), "rooms_per_floor")


class AreaCreateForm(_Dimensions):
    name = forms.CharField(label=pgettext_lazy("area", "Name"), max_length=NAME_MAX)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Leave it empty to take the next free number."),
    )
    compound = forms.TypedChoiceField(label=_("Compound"), coerce=int, required=False)

    def __init__(self, *args: Any, kind: str, compounds: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == "building":
            cast(forms.ChoiceField, self.fields["compound"]).choices = [("", "—"), *compounds]
        else:
            for name in ("compound", "units", "floors", "rooms_per_floor"):
                del self.fields[name]


class AreaEditForm(_Dimensions):
    name = forms.CharField(label=pgettext_lazy("area", "Name"), max_length=NAME_MAX)

    def __init__(self, *args: Any, building: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not building:
            for name in ("units", "floors", "rooms_per_floor"):
                del self.fields[name]


class AreaMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("Move under"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, targets: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["parent"]).choices = [("", "—"), *targets]


class AreaCloseForm(forms.Form):
    note = forms.CharField(
        label=_("Why"),
        max_length=500,
        required=False,
        help_text=_("Kept in the area's history, such as 拆迁 or 合并到第二网格."),
    )


class GeometryUploadForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection; each feature names its grid, compound or building by a "
            "property code or name."
        ),
    )


class PointForm(forms.Form):
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)


class StructureImportForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_(
            "XLSX or CSV (UTF-8 or GBK) with the columns 小区, 楼栋 and 网格 (a path such as "
            "第一网格/第一小组), optionally 单元数, 层数 and 每层户数."
        ),
    )
    commit = forms.BooleanField(
        label=_("Write the changes (otherwise only show what would be created)"), required=False
    )

    def __init__(self, *args: Any, communities: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = communities


AREA_FIELD_LABELS = {
    "area": _("Area"),
    "parent": _("Place"),
    "kind": _("Kind"),
    "name": pgettext_lazy("area", "Name"),
    "code": _("Code"),
    "compound": _("Compound"),
    "units": _("Units (单元)"),
    "floors": _("Floors"),
    "rooms_per_floor": _("Dwellings per floor and unit"),
    "geometry": _("Map shape"),
    "file": _("File"),
    "community": _("Community"),
    "note": _("Note"),
}


def apply_area_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's field errors on the form; others above it, naming their field."""
    errors_to_form(form, error, lambda name: str(AREA_FIELD_LABELS.get(name, name)))

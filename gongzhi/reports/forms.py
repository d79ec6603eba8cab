"""Forms of the report pages: they parse input; the services validate."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.validation import errors_to_form
from gongzhi.health.states import EntryStatus, Tier
from gongzhi.registry.models import Residency
from gongzhi.reports import catalogue
from gongzhi.reports.builtin import BUILTINS
from gongzhi.reports.models import Schedule

Choices = list[tuple[Any, Any]]

FIELD_LABELS = {
    "file": _("File"),
    "area": _("Area"),
    "name": _("Name"),
    "department": _("Department"),
    "dataset": _("Data"),
    "columns": _("Columns"),
    "filters": _("Filters"),
    "schedule": _("Schedule"),
    "hour": _("Hour"),
    "weekday": _("Weekday"),
    "day": _("Day of the month"),
    "code": _("Template"),
    "status": _("Status"),
}


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field errors on the form; errors on other fields name the field."""
    errors_to_form(form, error, lambda name: FIELD_LABELS.get(name, name))


class UploadForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For the area"), coerce=int, required=False)
    file = forms.FileField(
        label=_("Template (.xlsx)"),
        required=False,
        help_text=_(
            "The department's own workbook, at most 5 MB: its title, header, styles and "
            "footer are kept; rows are written under the header."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    dataset = forms.ChoiceField(label=_("Filled from"), choices=catalogue.DATASET_CHOICES)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    department = forms.CharField(label=_("Department"), required=False, max_length=200)

    def __init__(self, *args: Any, areas: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = areas
        self.fields["file"].widget.attrs["required"] = True


class InstallForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For the area"), coerce=int, required=False)
    code = forms.ChoiceField(
        label=_("Ready-made template"), choices=[(c, b.name) for c, b in BUILTINS.items()]
    )

    def __init__(self, *args: Any, areas: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = areas


# Short names of a template's filters, for the summary on its page.
FILTER_LABELS = {
    "area": _("Grid"),
    "tags": _("Tags"),
    "residency": _("Residency"),
    "age_min": _("Aged at least"),
    "age_max": _("Aged at most"),
    "status": _("Status"),
    "tier": _("Match"),
    "since_days": _("Lists of the last … days"),
    "grid_level": _("Grid level"),
}


class MappingForm(forms.Form):
    """One field / transform / argument triple per template column, and the filters."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    department = forms.CharField(label=_("Department"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        dataset: catalogue.Dataset,
        headers: list[dict[str, Any]],
        grids: Choices,
        tags: Choices,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        fields = [("", _("(leave empty)")), *[(f.code, f.label) for f in dataset.fields]]
        transforms = list(catalogue.TRANSFORMS.items())
        for header in headers:
            n = header["column"]
            # The table shows one row per column without a <label>: name each control.
            column = f"{header.get('letter', '')} {header['header']}".strip()
            self.fields[f"col{n}_field"] = forms.ChoiceField(
                label=header["header"],
                choices=fields,
                required=False,
                widget=forms.Select(attrs={"aria-label": f"{column}: {_('Filled with')}"}),
            )
            self.fields[f"col{n}_transform"] = forms.ChoiceField(
                label=_("Transform"),
                choices=transforms,
                required=False,
                widget=forms.Select(attrs={"aria-label": f"{column}: {_('Transform')}"}),
            )
            self.fields[f"col{n}_arg"] = forms.CharField(
                label=_("Argument"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"aria-label": f"{column}: {_('Argument')}"}),
            )
        filters: dict[str, forms.Field] = {
            "f_area": forms.TypedChoiceField(
                label=_("Only this grid"),
                coerce=int,
                required=False,
                empty_value=None,
                choices=[("", _("The whole area")), *grids],
            ),
            "f_tags": forms.MultipleChoiceField(
                label=_("Persons with any of these tags"),
                required=False,
                choices=tags,
                widget=forms.CheckboxSelectMultiple,
            ),
            "f_residency": forms.MultipleChoiceField(
                label=_("Residency"),
                required=False,
                choices=Residency.choices,
                widget=forms.CheckboxSelectMultiple,
            ),
            "f_age_min": forms.IntegerField(label=_("Aged at least"), required=False),
            "f_age_max": forms.IntegerField(label=_("Aged at most"), required=False),
            "f_status": forms.ChoiceField(
                label=_("Status"),
                required=False,
                choices=[("", _("Any status")), ("open", _("Open")), *EntryStatus.choices],
            ),
            "f_tier": forms.ChoiceField(
                label=_("Match"), required=False, choices=[("", _("Any match")), *Tier.choices]
            ),
            "f_since_days": forms.IntegerField(label=_("Lists of the last … days"), required=False),
            "f_grid_level": forms.TypedChoiceField(
                label=_("Grid level"),
                coerce=int,
                required=False,
                empty_value=None,
                choices=[("", _("Automatic")), (1, "1"), (2, "2"), (3, "3")],
            ),
        }
        for name, field in filters.items():
            if name[2:] in dataset.filters:
                self.fields[name] = field

    def column_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "header": h,
                "field": self[f"col{h['column']}_field"],
                "transform": self[f"col{h['column']}_transform"],
                "arg": self[f"col{h['column']}_arg"],
            }
            for h in self.headers
        ]

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("f_")]

    def describe_filters(self, filters: dict[str, Any]) -> list[str]:
        """A template's stored filters in words (`标签：独居老人`), never as codes."""
        described = []
        for key, value in (filters or {}).items():
            field = self.fields.get(f"f_{key}")
            label = FILTER_LABELS.get(key) or (field.label if field else key)
            values = value if isinstance(value, (list, tuple)) else [value]
            choices = {str(k): v for k, v in getattr(field, "choices", ()) or ()}
            words = pgettext("list separator", ", ").join(
                str(choices.get(str(v), v)) for v in values
            )
            described.append(gettext("%(label)s: %(value)s") % {"label": label, "value": words})
        return described

    def columns(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "column": h["column"],
                "field": data.get(f"col{h['column']}_field") or "",
                "transform": data.get(f"col{h['column']}_transform") or "",
                "arg": data.get(f"col{h['column']}_arg") or "",
            }
            for h in self.headers
            if data.get(f"col{h['column']}_field")
            or data.get(f"col{h['column']}_transform") == catalogue.CONSTANT
        ]

    def filters(self) -> dict[str, Any]:
        return {
            name[2:]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("f_") and value not in (None, "", [])
        }


class ScheduleForm(forms.Form):
    schedule = forms.ChoiceField(label=_("Fill"), choices=Schedule.choices, required=False)
    hour = forms.TypedChoiceField(
        label=_("At"), coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)], initial=8
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekly, on"),
        coerce=int,
        initial=0,
        choices=[
            (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
            (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
        ],
    )  # fmt: skip
    day = forms.TypedChoiceField(
        label=_("Monthly, on day"), coerce=int, initial=1, choices=[(d, d) for d in range(1, 29)]
    )


class FillForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, areas: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = areas

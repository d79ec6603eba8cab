from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.imports.mapping import FIELDS
from gongzhi.imports.models import ImportOutcome


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_(
            "Excel (.xlsx) or CSV (UTF-8 or GBK), one person a row, with a header row: 姓名, "
            "身份证号, 联系电话, 小区, 楼栋, 单元, 房号, 与户主关系, 标签…"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False)

    def __init__(self, *args: Any, communities: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = [
            (c.pk, c.name) for c in communities
        ]
        if len(communities) <= 1:
            self.fields["community"].widget = forms.HiddenInput()


class _ColumnField(forms.ChoiceField):
    is_required_field = False  # the template marks the register's required fields


class MappingForm(forms.Form):
    """One select per register field: which column of the file fills it."""

    def __init__(self, *args: Any, header: list[str], mapping: dict[str, int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        columns = [("", _("— not in the file —"))] + [
            (str(i), name) for i, name in enumerate(header)
        ]
        for field in FIELDS:
            initial = mapping.get(field.name)
            column = _ColumnField(
                label=str(field.label),
                choices=columns,
                required=False,
                initial="" if initial is None else str(initial),
            )
            column.is_required_field = field.required
            self.fields[field.name] = column

    def mapping(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if value != ""}


class OutcomeFilterForm(forms.Form):
    only = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=[("", _("All rows")), *ImportOutcome.choices, ("warning", _("To correct"))],
    )


class CommitForm(forms.Form):
    """The preview's answer to the proposed new buildings."""

    create_buildings = forms.BooleanField(required=False)
    # Any whole number: the view looks it up among the importer's own grids.
    grid = forms.IntegerField(required=False, min_value=1)


class MergeForm(forms.Form):
    keep = forms.IntegerField(min_value=1)
    merge = forms.IntegerField(min_value=1)
    note = forms.CharField(required=False, max_length=500)

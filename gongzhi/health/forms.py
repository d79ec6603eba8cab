"""Forms of the watch-list pages: they parse input; the services validate."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.validation import errors_to_form
from gongzhi.health.states import (
    CLOSING_OUTCOMES,
    EntryStatus,
    ListKind,
    Outcome,
    Tier,
    VerificationMethod,
)

Choices = list[tuple[Any, Any]]

FIELD_LABELS = {
    "file": _("File"),
    "area": _("Area"),
    "name": _("Name"),
    "kind": _("Kind"),
    "source": _("Source"),
    "note": _("Note"),
    "person": _("Person"),
    "method": _("Method"),
    "found": _("Found"),
    "verified_on": _("Verified on"),
    "outcome": _("Outcome"),
    "grid": _("Grid"),
    "assignee": _("Follower"),
    "action": _("Action"),
    "status": _("Status"),
}


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field errors on the form; errors on other fields name the field."""
    errors_to_form(form, error, lambda name: FIELD_LABELS.get(name, name))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UploadForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For the area"), coerce=int, required=False)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_(
            "XLSX or CSV (UTF-8 or GBK), at most 20 MB. Needs a column 身份证号 or 手机号; "
            "姓名, 来源地, 到达日期, 现住址 and 数据来源 are used when present."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ListKind.choices)
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "省大数据中心"}),
    )

    def __init__(self, *args: Any, areas: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = areas
        self.fields["file"].widget.attrs["required"] = True


class EntryFilterForm(forms.Form):
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=40)
    upstream_list = forms.TypedChoiceField(
        label=_("List"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *EntryStatus.choices],
    )
    tier = forms.ChoiceField(
        label=_("Match"), required=False, choices=[("", _("Any match")), *Tier.choices]
    )
    area = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args: Any, lists: Choices, grids: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["upstream_list"]).choices = [
            ("", _("All lists")),
            *lists,
        ]
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", _("All grids")), *grids]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(NoteForm):
    person = forms.TypedChoiceField(
        label=_("This is"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, candidates: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = pgettext_lazy("watch-list form", "What the review found")
        self.fields["note"].widget.attrs["required"] = True
        if candidates:
            cast(forms.ChoiceField, self.fields["person"]).choices = [
                ("", _("None of them / not sure")),
                *candidates,
            ]
        else:
            del self.fields["person"]


class DismissForm(NoteForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Why no visit is needed")
        self.fields["note"].widget.attrs["required"] = True


class VerifyForm(NoteForm):
    method = forms.ChoiceField(
        label=_("How"), choices=[("", "—"), *VerificationMethod.choices], required=False
    )
    found = forms.TypedChoiceField(
        label=_("Found at the address"),
        choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        required=False,
        empty_value=None,
    )
    verified_on = forms.DateField(label=_("Verified on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("What was found")
        for name in ("method", "found", "note"):
            self.fields[name].widget.attrs["required"] = True


class CloseForm(NoteForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "—"), *[(o.value, o.label) for o in CLOSING_OUTCOMES]],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["required"] = True


class ReopenForm(NoteForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Why it is reopened")
        self.fields["note"].widget.attrs["required"] = True


class AssignForm(forms.Form):
    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    assignee = forms.TypedChoiceField(
        label=_("Follower"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, grids: Choices | None, assignees: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if grids is None:
            del self.fields["grid"]
        else:
            cast(forms.ChoiceField, self.fields["grid"]).choices = [("", "—"), *grids]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("The grid's grid worker")),
            *assignees,
        ]


OUTCOME_LABELS = dict(Outcome.choices)

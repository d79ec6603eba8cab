"""Forms of the report-in (双报到) and pairing pages: they parse; `workorders.reportin` and
`workorders.pairings` validate."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.workorders.models import FreeTime, ReportInKind, Skill
from gongzhi.workorders.reportin import NAME_MAX, ORGANISATION_MAX, REASON_MAX


class ApplicationForm(forms.Form):
    """What someone reporting in says about themselves (the /m/ page and staff's form)."""

    kind = forms.ChoiceField(
        label=_("I report in as"), choices=ReportInKind.choices, widget=forms.RadioSelect
    )
    organisation = forms.CharField(
        label=_("Work unit or organisation"),
        required=False,
        max_length=ORGANISATION_MAX,
        help_text=_("Where your party membership or volunteer group is, e.g. 县教育局"),
    )
    skills = forms.MultipleChoiceField(
        label=_("What I can help with"),
        required=False,
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    free_times = forms.MultipleChoiceField(
        label=_("When I am free"),
        required=False,
        choices=FreeTime.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class StaffAddForm(ApplicationForm):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("They sign in on the residents' pages with an SMS code to this number."),
    )
    grid = forms.ChoiceField(label=_("Place in grid"))

    def __init__(self, *args: Any, grids: list[tuple[Any, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["grid"]).choices = [("", _("Choose")), *grids]
        self.order_fields(["name", "phone", "kind", "grid"])


class ApproveForm(forms.Form):
    grid = forms.ChoiceField(label=_("Place in grid"))
    skills = forms.MultipleChoiceField(
        label=_("Skills"),
        required=False,
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, grids: list[tuple[Any, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["grid"]).choices = [("", _("Choose")), *grids]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is refused"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
        help_text=_("The applicant reads this."),
    )

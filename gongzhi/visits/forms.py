"""The visit form and the rule form: parse only; the services check the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.visits.models import CONCERN_NOTE_MAX, NOTES_MAX, Concern, Method

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class VisitForm(forms.Form):
    visited_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    method = forms.ChoiceField(
        label=pgettext_lazy("visit", "How"),
        choices=Method.choices,
        widget=forms.RadioSelect,
        initial=Method.HOME,
    )
    persons = forms.MultipleChoiceField(
        label=_("Who was met"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Stored encrypted; ID numbers and phone numbers in it are shown masked."),
    )
    concerns = forms.MultipleChoiceField(
        label=_("Concerns found"),
        required=False,
        choices=Concern.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    concern_note = forms.CharField(
        label=_("Other concern"), required=False, max_length=CONCERN_NOTE_MAX
    )
    follow_up_category = forms.ChoiceField(
        label=_("File a follow-up work order"),
        required=False,
        help_text=_("Something to be done: a work order is filed for the household."),
    )
    follow_up_description = forms.CharField(
        label=_("What needs doing"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        categories: list[tuple[str, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["persons"]).choices = members
        cast(forms.ChoiceField, self.fields["follow_up_category"]).choices = [
            ("", _("No follow-up order")),
            *categories,
        ]


class RuleForm(forms.Form):
    tag = forms.CharField()
    every_days = forms.CharField(required=False)

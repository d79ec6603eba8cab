"""Forms of the proposal pages: they parse; the rules (and their field errors) are the
services'. Field names match the services' so their errors land on the right field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.proposals.models import BODY_MAX, NOTE_MAX, TITLE_MAX
from gongzhi.proposals.states import Action, Visibility

LOCAL = {"type": "datetime-local", "class": "form-control"}


class ProposalForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For"), coerce=int, choices=())
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, required=False)
    body = forms.CharField(
        label=_("What do you propose, and why?"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, areas: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = areas
        if areas:
            field.initial = areas[-1][0]


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    note = forms.CharField(max_length=NOTE_MAX, required=False)


class FromOrderForm(forms.Form):
    workorder = forms.IntegerField(label=_("Suggestion"))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, required=False)


class PollForm(forms.Form):
    area = forms.TypedChoiceField(label=_("Who may vote"), coerce=int, choices=(), required=False)
    question = forms.CharField(label=_("Question"), max_length=200, required=False)
    options = forms.CharField(
        label=_("Options, one a line (2 to 10)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    opens_at = forms.DateTimeField(
        label=_("Opens"), required=False, widget=forms.DateTimeInput(attrs=LOCAL)
    )
    closes_at = forms.DateTimeField(
        label=_("Closes"), required=False, widget=forms.DateTimeInput(attrs=LOCAL)
    )
    results_visibility = forms.ChoiceField(
        label=_("Results shown to voters"),
        choices=Visibility.choices,
        initial=Visibility.AFTER_CLOSE,
    )
    proposal = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, areas: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *areas]

    def option_lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("options", "").splitlines() if line.strip()]


class ReviewForm(forms.Form):
    flag = forms.IntegerField()
    note = forms.CharField(max_length=500, required=False)

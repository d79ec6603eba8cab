"""Forms of the points square's activities: parse only; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.points.activities import MAX_CAPACITY, MAX_POINTS, PLACE_MAX, RADIUS_BOUNDS
from gongzhi.points.models import TEXT_MAX, TITLE_MAX, ActivityKind, ProofKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _when(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class ActivityForm(forms.Form):
    area = forms.TypedChoiceField(label=_("For"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_at = _when(_("Starts"))
    ends_at = _when(_("Ends"))
    place = forms.CharField(label=_("Place"), required=False, max_length=PLACE_MAX)
    latitude = forms.FloatField(
        label=_("Latitude"),
        required=False,
        help_text=_("Optional: where the check-in QR hangs (WGS-84 degrees)."),
    )
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    radius_m = forms.IntegerField(
        label=_("Check-in radius (m)"),
        initial=200,
        min_value=RADIUS_BOUNDS[0],
        max_value=RADIUS_BOUNDS[1],
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("Empty: no limit."),
    )
    proof_kind = forms.ChoiceField(label=_("Proof required"), choices=ProofKind.choices)
    points = forms.IntegerField(label=_("Points"), min_value=0, max_value=MAX_POINTS)
    hours = forms.DecimalField(
        label=_("Service hours"), min_value=0, max_value=24, decimal_places=1, max_digits=3
    )
    reviewers = forms.TypedMultipleChoiceField(
        label=_("Reviewers"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Among those who review proofs in the area."),
    )

    def __init__(
        self,
        *args: Any,
        areas: list[tuple[int, str]],
        reviewers: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = areas  # type: ignore[attr-defined]
        self.fields["reviewers"].choices = reviewers  # type: ignore[attr-defined]


class ProofForm(forms.Form):
    file = forms.FileField(label=_("Photo or video"), required=False)
    text = forms.CharField(
        label=_("What you did"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CheckinForm(forms.Form):
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)

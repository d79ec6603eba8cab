"""Forms of the venue pages (workbench), the check-in page (/m/v/) and contact tracing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.health.venues import NAME_MAX, VENUE_KINDS
from gongzhi.registry.services import PURPOSE_MAX


class VenueForm(forms.Form):
    area = forms.TypedChoiceField(label=_("Area"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    kind = forms.ChoiceField(label=_("Kind of place"))
    expires_on = forms.DateField(
        label=_("Valid until (last day, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, areas: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if areas is None:
            del self.fields["area"]
        else:
            self.fields["area"].choices = areas  # type: ignore[attr-defined]
        self.fields["kind"].choices = [(k, str(v)) for k, v in VENUE_KINDS.items()]  # type: ignore[attr-defined]


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )


class TraceForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Window from"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label=_("Window until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    purpose = forms.CharField(
        label=_("Purpose (recorded in the audit log)"),
        max_length=PURPOSE_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. a confirmed case visited on 3 Dec")}),
    )

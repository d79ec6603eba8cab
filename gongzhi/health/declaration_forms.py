"""Forms of arrival declarations: the public form behind the QR link, and the grid
worker's confirmation of a declaration that matched nobody. Shapes only: the rules are
`health.declarations`'."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.health.declarations import ORIGIN_MAX, ROOM_MAX, SYMPTOMS
from gongzhi.health.models import TravelMode

FIELD_LABELS = {
    "for_person": _("Declaring for"),
    "code": _("6-digit code from the SMS"),
    "action": _("Action"),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DeclarationForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        required=False,
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )
    origin = forms.CharField(
        label=_("Coming from"),
        max_length=ORIGIN_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("City or county, e.g. 武汉市")}),
    )
    arrived_on = forms.CharField(label=_("Arrived on"), max_length=10, widget=DateInput())
    travel_mode = forms.ChoiceField(
        label=_("Travel mode"), choices=TravelMode.choices, widget=forms.RadioSelect
    )
    building = forms.ChoiceField(label=_("Building"), choices=())
    room = forms.CharField(
        label=_("Unit and room"),
        max_length=ROOM_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 2-301")}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms now"),
        choices=list(SYMPTOMS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    for_person = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, buildings: list[tuple[Any, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["building"])
        field.choices = [("", "—"), *buildings]

    def service_data(self) -> dict[str, Any]:
        """The raw values for the service, which checks them all and names each problem."""
        raw = self.data
        return {
            **{f: raw.get(f, "") for f in ("name", "id_number", "phone", "origin", "room")},
            "arrived_on": raw.get("arrived_on", ""),
            "travel_mode": raw.get("travel_mode", ""),
            "building": raw.get("building", ""),
            "symptoms": raw.getlist("symptoms") if hasattr(raw, "getlist") else [],
        }


class PhoneOnlyForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=20)


class ConfirmForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("link", _("This is a registered person")),
            ("create", _("Register the person here")),
            ("reject", _("Not a person of this community")),
        ],
        widget=forms.RadioSelect,
    )
    person = forms.TypedChoiceField(
        label=_("Registered person"), coerce=int, required=False, empty_value=None
    )
    household = forms.TypedChoiceField(
        label=_("Household to register them in"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        persons: list[tuple[int, str]],
        households: list[tuple[int, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "—"), *persons]
        cast(forms.ChoiceField, self.fields["household"]).choices = [
            ("", _("A new household at the declared room")),
            *households,
        ]

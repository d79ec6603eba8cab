"""Forms of the register pages: they parse input; the services are the validators of record.

Fields the service requires are marked `required` in HTML only (forms are `novalidate`), so
a submission always reaches the service and every problem is shown at once, by field.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import ForeignObjectRel
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.validation import errors_to_form
from gongzhi.registry.choices import ETHNICITIES
from gongzhi.registry.models import Household, HouseholdStatus, Person, Relation, Residency

Choices = list[tuple[Any, Any]]

PRESENT_CHOICES = [
    (Residency.LIVING, Residency.LIVING.label),
    (Residency.TENANT, Residency.TENANT.label),
    (Residency.AWAY, Residency.AWAY.label),
]
MOVE_IN_CHOICES = [
    (Residency.LIVING, Residency.LIVING.label),
    (Residency.TENANT, Residency.TENANT.label),
]
MOVE_OUT_CHOICES = [
    (Residency.MOVED_OUT, Residency.MOVED_OUT.label),
    (Residency.DECEASED, Residency.DECEASED.label),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _mark_required(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].widget.attrs["required"] = True


FIELD_LABELS = {
    "name": pgettext_lazy("person", "Name"),
    "id_number": _("Resident ID number"),
    "phone": _("Phone"),
    "gender": _("Gender"),
    "birth_date": _("Birth date"),
    "ethnicity": _("Ethnicity"),
    "relation": _("Relation to head"),
    "residency": _("Residency"),
    "moved_in_on": _("Moved in on"),
    "moved_out_on": _("Moved out on"),
    "notes": _("Notes"),
    "unit": _("Unit"),
    "room": _("Room"),
    "status": _("Status"),
    "head": _("Head of household"),
    "household_head": _("Head of household"),
    "address": _("Address"),
    "building": _("Building"),
    "household": _("Household"),
    "tags": _("Tags"),
    "purpose": _("Purpose"),
    "on_date": _("Date"),
    "reason": _("Reason"),
    "note": _("Note"),
    "field": _("Field"),
}


def field_label(name: str) -> str:
    """A human name for a field a service complained about or the history shows."""
    label = FIELD_LABELS.get(name)
    if label is not None:
        return str(label)
    for model in (Person, Household):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, ForeignObjectRel):  # a reverse relation has no label of its own
            continue
        return capfirst(str(field.verbose_name))
    return name


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field errors on the form; errors on other fields name the field."""
    errors_to_form(form, error, field_label)


# --- filters ---------------------------------------------------------------------------------


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, pinyin, full ID number, full phone or address"),
            }
        ),
    )
    area = forms.TypedChoiceField(label=_("Grid"), required=False, coerce=int, empty_value=None)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *HouseholdStatus.choices],
    )

    def __init__(self, *args: Any, grids: Choices, tags: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", _("All grids")), *grids]
        cast(forms.ChoiceField, self.fields["tag"]).choices = [("", _("Any tag")), *tags]


# --- households ------------------------------------------------------------------------------


class HouseholdForm(forms.Form):
    building = forms.TypedChoiceField(label=FIELD_LABELS["building"], coerce=int, required=False)
    unit = forms.CharField(label=FIELD_LABELS["unit"], required=False, max_length=100)
    room = forms.CharField(label=FIELD_LABELS["room"], required=False, max_length=100)
    status = forms.ChoiceField(
        label=FIELD_LABELS["status"],
        choices=HouseholdStatus.choices,
        initial=HouseholdStatus.ACTIVE,
    )
    notes = forms.CharField(
        label=FIELD_LABELS["notes"], required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, buildings: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["building"]).choices = [("", "—"), *buildings]
        _mark_required(self, "building", "room")


class HouseholdEditForm(forms.Form):
    unit = forms.CharField(label=FIELD_LABELS["unit"], required=False, max_length=100)
    room = forms.CharField(label=FIELD_LABELS["room"], required=False, max_length=100)
    status = forms.ChoiceField(label=FIELD_LABELS["status"], choices=HouseholdStatus.choices)
    head = forms.TypedChoiceField(
        label=FIELD_LABELS["head"], coerce=int, required=False, empty_value=None
    )
    notes = forms.CharField(
        label=FIELD_LABELS["notes"], required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, members: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["head"]).choices = [("", _("(none)")), *members]
        _mark_required(self, "room")


class HouseholdMoveForm(forms.Form):
    building = forms.TypedChoiceField(label=_("New building"), coerce=int, required=False)
    unit = forms.CharField(label=FIELD_LABELS["unit"], required=False, max_length=100)
    room = forms.CharField(label=FIELD_LABELS["room"], required=False, max_length=100)

    def __init__(self, *args: Any, buildings: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["building"]).choices = [("", "—"), *buildings]
        _mark_required(self, "building", "room")


# --- persons -----------------------------------------------------------------------------------


class _PersonFields(forms.Form):
    """The fields a person's form shows; the service validates them."""

    name = forms.CharField(label=FIELD_LABELS["name"], required=False, max_length=200)
    id_number = forms.CharField(
        label=FIELD_LABELS["id_number"],
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "font-monospace"}),
    )
    phone = forms.CharField(
        label=FIELD_LABELS["phone"],
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "tel", "class": "font-monospace"}
        ),
    )
    ethnicity = forms.ChoiceField(
        label=FIELD_LABELS["ethnicity"], choices=ETHNICITIES, initial="01"
    )
    relation = forms.ChoiceField(
        label=FIELD_LABELS["relation"], choices=Relation.choices, initial=Relation.OTHER
    )
    residency = forms.ChoiceField(
        label=FIELD_LABELS["residency"], choices=PRESENT_CHOICES, initial=Residency.LIVING
    )
    moved_in_on = forms.DateField(
        label=FIELD_LABELS["moved_in_on"], required=False, widget=DateInput()
    )
    notes = forms.CharField(
        label=FIELD_LABELS["notes"], required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PersonForm(_PersonFields):
    """A new person. Gender and birth date come from the ID number."""

    tags = forms.MultipleChoiceField(
        label=FIELD_LABELS["tags"], required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, tags: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = _(
            "18 characters; gender and birth date are read from it."
        )
        cast(forms.ChoiceField, self.fields["tags"]).choices = tags
        _mark_required(self, "name", "id_number")

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "tags"}
        if not data.get("moved_in_on"):
            data.pop("moved_in_on", None)
        return data


class PersonEditForm(_PersonFields):
    """Corrections. The ID number and phone are never shown in full here: leave them blank
    to keep them, type a new value to correct them."""

    clear_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    field_order = ["name", "id_number", "phone", "clear_phone"]

    def __init__(self, *args: Any, person: Person, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {
                "name": person.name,
                "ethnicity": person.ethnicity,
                "relation": person.relation,
                "residency": person.residency,
                "moved_in_on": person.moved_in_on,
                "notes": person.notes,
                "version": person.version,
            },
        )
        super().__init__(*args, **kwargs)
        keep = _("Leave blank to keep the current number.")
        self.fields["id_number"].help_text = keep
        self.fields["phone"].help_text = keep
        # Masked values as placeholders: the full value is only for the audited reveal.
        self.fields["id_number"].widget.attrs["placeholder"] = str(person.id_number)
        self.fields["phone"].widget.attrs["placeholder"] = str(person.phone) if person.phone else ""
        if not person.phone:
            del self.fields["clear_phone"]
            self.fields["phone"].help_text = ""
        if person.residency not in dict(PRESENT_CHOICES):
            del self.fields["residency"]
        _mark_required(self, "name")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if not data.get("id_number"):
            data.pop("id_number", None)
        if data.pop("clear_phone", False):
            data["phone"] = ""
        elif not data.get("phone"):
            data.pop("phone", None)
        return data


class MoveOutForm(forms.Form):
    reason = forms.ChoiceField(
        label=FIELD_LABELS["reason"],
        choices=MOVE_OUT_CHOICES,
        initial=Residency.MOVED_OUT,
        widget=forms.RadioSelect,
    )
    on_date = forms.DateField(label=FIELD_LABELS["on_date"], required=False, widget=DateInput())
    note = forms.CharField(
        label=FIELD_LABELS["note"],
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example where the person moved to."),
    )


class MoveInForm(forms.Form):
    # The household is picked from a search (rendered by the page) and resolved in scope.
    household = forms.IntegerField(label=FIELD_LABELS["household"], required=False)
    relation = forms.ChoiceField(label=FIELD_LABELS["relation"], choices=Relation.choices)
    residency = forms.ChoiceField(
        label=FIELD_LABELS["residency"], choices=MOVE_IN_CHOICES, initial=Residency.LIVING
    )
    on_date = forms.DateField(label=FIELD_LABELS["moved_in_on"], required=False, widget=DateInput())


class TagsForm(forms.Form):
    tags = forms.MultipleChoiceField(
        label=FIELD_LABELS["tags"], required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, tags: Choices, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tags"]).choices = tags


class RevealForm(forms.Form):
    purpose = forms.CharField(label=FIELD_LABELS["purpose"], required=False, max_length=500)


def reveal_exchange(request: Any, context: dict[str, Any], reveal: Any) -> dict[str, Any]:
    """The reveal slot's exchange (`registry/_reveal.html`), for every full value a page
    may reveal: "cancel" shows the mask again; a stated purpose gets the full value from
    `reveal(purpose)` (whose service checks and audits it), else the form with its errors."""
    form = RevealForm(request.POST or None)
    context.setdefault("state", "form")
    if request.method == "GET" and request.GET.get("cancel"):
        context["state"] = "masked"
    elif request.method == "POST" and form.is_valid():
        try:
            context["value"] = reveal(form.cleaned_data["purpose"])
            context["state"] = "revealed"
        except ValidationError as exc:
            apply_errors(form, exc)
    context["form"] = form
    return context

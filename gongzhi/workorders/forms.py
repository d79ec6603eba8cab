"""Forms of the work-order pages: they parse input; the services are the validators of record
(forms are `novalidate`, so every problem comes back at once, field by field)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.workorders import uploads
from gongzhi.workorders.models import Priority

Choices = list[tuple[Any, Any]]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each is checked by `uploads` (by content, not name)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/*")

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > uploads.MAX_PER_UPLOAD:
            raise ValidationError(
                _("At most %(n)d photos at a time.") % {"n": uploads.MAX_PER_UPLOAD}
            )
        return [f for f in files if f]


class AnyIdsField(forms.TypedMultipleChoiceField):
    """Ids from a list the page built; any id passes here, the selector or service decides
    (and names the ones it refuses)."""

    def valid_value(self, value: Any) -> bool:
        return True


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _localize(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class ResidentRequestForm(forms.Form):
    """Asking for help on a phone. In elder mode the page shows only the category, the
    description and a photo; the rest keeps its defaults (here, at home, as soon as
    possible)."""

    category = forms.ChoiceField(
        label=_("What kind of help?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what kind of help you need."),
            "invalid_choice": _("Choose what kind of help you need."),
        },
    )
    description = forms.CharField(
        label=_("Tell us what you need"),
        # No max_length: the service names the limit (DESCRIPTION_MAX) whatever the length;
        # DATA_UPLOAD_MAX_MEMORY_SIZE refuses anything huge before it gets here.
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(label=_("Photos (optional)"))
    where = forms.ChoiceField(
        label=_("Where?"),
        choices=[("home", _("At home")), ("elsewhere", _("Somewhere else"))],
        initial="home",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say where: at home or somewhere else.")},
    )
    address = forms.CharField(
        label=_("Which place? (building, street, landmark)"), max_length=200, required=False
    )
    preferred_at = forms.DateTimeField(
        label=_("When would suit you? (optional)"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    anonymous = forms.BooleanField(
        label=_("Do not show my name to the volunteer"),
        required=False,
    )

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = categories
        self.fields["description"].widget.attrs["required"] = True

    def clean_preferred_at(self) -> dt.datetime | None:
        return _localize(self.cleaned_data.get("preferred_at"))

    def clean(self) -> dict[str, Any]:
        """Every empty field at once, each named in words a resident understands (the
        service checks the description again, with its limit)."""
        data = super().clean() or {}
        if not (data.get("description") or "").strip():
            self.add_error("description", _("Tell us what you need: a few words are enough."))
        if data.get("where") == "elsewhere" and not (data.get("address") or "").strip():
            self.add_error(
                "address", _("Somewhere else: say which place (a building, a street, a landmark).")
            )
        return data


class StaffRequestForm(forms.Form):
    """Filing on a resident's behalf (a phone call, a visit): for a person found in the
    register, or for a place."""

    category = forms.ChoiceField(label=_("Category"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    place = forms.TypedChoiceField(label=_("Or a place (no person)"), coerce=int, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_phone = forms.CharField(label=_("Phone to call back"), max_length=32, required=False)
    preferred_at = forms.DateTimeField(
        label=_("Preferred time"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    anonymous = forms.BooleanField(label=_("Anonymous to the volunteer"), required=False)
    photos = PhotosField(label=_("Photos"))

    def __init__(self, *args: Any, categories: Choices, places: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = categories
        cast(forms.ChoiceField, self.fields["place"]).choices = [("", "—"), *places]
        self.fields["description"].widget.attrs["required"] = True

    def clean_preferred_at(self) -> dt.datetime | None:
        return _localize(self.cleaned_data.get("preferred_at"))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NotePhotosForm(NoteForm):
    photos = PhotosField(label=_("Photos"))


class DispatchForm(forms.Form):
    handlers = AnyIdsField(coerce=int, required=False)
    # A suggestion's own "Dispatch" button: that one person, whatever else is ticked.
    only = forms.IntegerField(required=False)
    note = forms.CharField(required=False)  # the service checks NOTE_MAX


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was it?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )
    note = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BulkForm(forms.Form):
    orders = AnyIdsField(coerce=int, required=False)
    action = forms.ChoiceField(
        choices=[
            ("dispatch", _("Dispatch to")),
            ("escalate", _("Escalate")),
            ("solve", _("Mark solved")),
            ("cancel", _("Cancel")),
        ]
    )
    handler = forms.IntegerField(required=False)
    note = forms.CharField(required=False)  # the service checks NOTE_MAX


class InboxFilterForm(forms.Form):
    tab = forms.CharField(required=False)
    area = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args: Any, grids: Choices, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", _("All grids")), *grids]
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("All categories")),
            *categories,
        ]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's errors on the form's fields; the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, problems in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, problems)

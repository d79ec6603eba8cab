"""The notice form: parse only; `services` checks every rule and names the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.notices.models import BODY_MAX, SMS_DELAY_DEFAULT, TITLE_MAX, NoticeKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
_DT_FORMATS = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by `uploads` (by content, not name)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "application/pdf,image/*")

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [f for f in files if f]


class AnyTargetsField(forms.MultipleChoiceField):
    """The ids as posted: the service says which ones are not in the publisher's area."""

    def valid_value(self, value: Any) -> bool:
        return True


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=TITLE_MAX * 2)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=BODY_MAX * 2,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text; line breaks are kept."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices, initial=NoticeKind.NEWS)
    targets = AnyTargetsField(
        label=_("Targets"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The communities, grids or buildings whose residents the notice is for."),
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)
    published_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        input_formats=_DT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Empty: now."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        input_formats=_DT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Empty: never. Expired notices leave residents' lists but stay here."),
    )
    sms_delay_minutes = forms.IntegerField(
        label=_("SMS after (minutes)"),
        required=False,
        initial=SMS_DELAY_DEFAULT,
        help_text=_(
            "Urgent notices only: residents aged 65+ who have not read it by then get one SMS."
        ),
    )
    attachments = AttachmentsField(
        label=_("Attachments"), help_text=_("PDF or images, at most 10 MB each, 5 in all.")
    )
    remove_attachments = forms.MultipleChoiceField(
        label=_("Remove attachments"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[int, str]],
        attachments: list[tuple[int, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["targets"]).choices = targets
        cast(forms.ChoiceField, self.fields["remove_attachments"]).choices = list(attachments)
        if not attachments:
            del self.fields["remove_attachments"]

"""Forms of the transfer-request pages: they parse; `registry.transfers` validates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.registry.models import Relation, TransferStatus
from gongzhi.registry.transfers import INCOMING, OUTGOING, REASON_MAX


class TransferForm(forms.Form):
    id_number = forms.CharField(label=_("Resident ID number"), required=False, max_length=32)
    relation = forms.ChoiceField(
        label=_("Relation to head"), choices=Relation.choices, initial=Relation.OTHER
    )
    reason = forms.CharField(
        label=_("Why the person moves here"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The area that holds the person reads this to decide."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("id_number", "reason"):
            self.fields[name].widget.attrs["required"] = True
        self.fields["id_number"].widget.attrs["autocomplete"] = "off"


class DeclineForm(forms.Form):
    decline_reason = forms.CharField(
        label=_("Why it is declined"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
        help_text=_("The requesting area sees this."),
    )


class TransferFilterForm(forms.Form):
    direction = forms.ChoiceField(
        required=False,
        choices=[(INCOMING, _("For us to decide")), (OUTGOING, _("Asked by us"))],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *TransferStatus.choices]
    )

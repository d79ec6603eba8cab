"""Forms of the family-proxy pages: they parse; `registry.proxies` validates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.models import ProxyRelation, ProxyRequestStatus
from gongzhi.registry.proxies import LABEL_MAX, REASON_MAX


class ProxyLinkForm(forms.Form):
    """Staff link a family member on the spot."""

    phone = forms.CharField(
        label=_("Family member's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("They sign in on the residents' pages with an SMS code to this number."),
    )
    name = forms.CharField(label=_("Family member's name"), required=False, max_length=40)
    relation = forms.ChoiceField(label=_("Relation"), choices=ProxyRelation.choices)
    label = forms.CharField(
        label=_("What they call the person"),
        required=False,
        max_length=LABEL_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Mum")}),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is refused"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"required": True}),
        help_text=_("The family member reads this."),
    )


class ProxyFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *ProxyRequestStatus.choices],
    )

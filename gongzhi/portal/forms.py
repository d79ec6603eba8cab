from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.forms import SignInForm
from gongzhi.accounts.models import ProxyRelation
from gongzhi.workorders import reportin
from gongzhi.workorders.models import FreeTime, ReportInKind, Skill


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "138 0000 0000",
                "aria-label": _("Your mobile number, 11 digits"),
            }
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "aria-label": _("The 6-digit code we sent you by SMS"),
            }
        ),
    )


class PasswordForm(SignInForm):
    """User name and password, with growing delays for wrong ones (`SignInForm`)."""


class ProxyRequestForm(forms.Form):
    """Ask to act for a family member: who they are, and how they are related."""

    name = forms.CharField(label=_("Their full name"), max_length=40)
    id_number = forms.CharField(
        label=_("Their ID number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Or their mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    relation = forms.ChoiceField(label=_("I am their"), choices=ProxyRelation.choices)
    label = forms.CharField(
        label=_("What I call them"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Mum")}),
    )


class ResidentApplicationForm(forms.Form):
    """双报到: what someone reporting in says; the community and grid from lists."""

    name = forms.CharField(label=_("Your name"), required=False, max_length=reportin.NAME_MAX)
    kind = forms.ChoiceField(
        label=_("I report in as"), choices=ReportInKind.choices, widget=forms.RadioSelect
    )
    organisation = forms.CharField(
        label=_("Work unit or organisation"),
        required=False,
        max_length=reportin.ORGANISATION_MAX,
        help_text=_("Where your party membership or volunteer group is, e.g. 县教育局"),
    )
    skills = forms.MultipleChoiceField(
        label=_("What I can help with"),
        required=False,
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    free_times = forms.MultipleChoiceField(
        label=_("When I am free"),
        required=False,
        choices=FreeTime.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    community = forms.ChoiceField(label=_("Community"))
    grid = forms.ChoiceField(label=_("Preferred grid (optional)"), required=False)

    def __init__(
        self,
        *args: Any,
        communities: list[tuple[Any, Any]],
        grids: list[tuple[Any, Any]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = [
            ("", _("Choose")),
            *communities,
        ]
        cast(forms.ChoiceField, self.fields["grid"]).choices = [("", _("Any grid")), *grids]


class SignUpCodeForm(forms.Form):
    """Someone not signed in proves their number with the code just sent to it."""

    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )

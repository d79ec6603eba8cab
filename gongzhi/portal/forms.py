from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.forms import SignInForm


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

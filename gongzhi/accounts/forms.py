from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts import services
from gongzhi.core.middleware import client_ip


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with growing delays for wrong passwords per account name and
    client address (`services.sign_in_wait`). `wait` is set when this address must wait:
    the view then answers 429 without checking the password at all."""

    wait = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        if username:
            self.wait = services.sign_in_wait(kind="password", ident=username, ip=ip)
            if self.wait:
                raise forms.ValidationError(
                    _("Too many wrong passwords from here; wait a while, then try again."),
                    code="throttled",
                )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username and self.cleaned_data.get("password"):
                services.password_sign_in_failed(username=username, ip=ip)
            raise
        services.sign_in_forgiven(kind="password", ident=username, ip=ip)
        return cleaned


class PasswordResetForm(forms.Form):
    """A code from the SMS and the new password twice; the rules are checked again with
    the account once the code has named it."""

    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        elif first:
            # The rules that need no account, before the code is spent.
            try:
                validate_password(first)
            except forms.ValidationError as exc:
                self.add_error("new_password2", exc)
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit():
            raise forms.ValidationError(_("The code is made of digits only."))
        return token

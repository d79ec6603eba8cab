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


# --- staff administration ------------------------------------------------------------------


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _area_choices(areas: list[Any]) -> list[tuple[str, str]]:
    """Tree nodes as choices, indented by depth under the first one."""
    if not areas:
        return []
    top = min(a.depth for a in areas)
    return [(str(a.pk), "\u3000" * (a.depth - top) + a.name) for a in areas]


def _role_choices(roles: list[str] | None = None) -> list[tuple[str, str]]:
    from gongzhi.accounts.models import Role

    wanted = Role.values if roles is None else roles
    return [(r.value, str(r.label)) for r in Role if r.value in wanted]


class StaffFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Username or name")}),
    )
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "role").choices = [("", _("All roles")), *_role_choices()]


class StaffCreateForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=40)
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        help_text=_("For signing in: letters, digits, dots, dashes or underscores."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        help_text=_("The invitation to set a password is sent here by SMS."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    area = forms.ChoiceField(label=_("Area"))
    role = forms.ChoiceField(label=_("Role"))
    invite = forms.BooleanField(
        label=_("Send the SMS invitation now"), required=False, initial=True
    )

    def __init__(self, *args: Any, areas: list[Any], roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area").choices = _area_choices(areas)
        _choice(self, "role").choices = _role_choices(roles)


class GrantForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, areas: list[Any], roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area").choices = _area_choices(areas)
        _choice(self, "role").choices = _role_choices(roles)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_('Kept in the audit log, e.g. "phone lost, confirmed in person".'),
    )


class HoldersForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args: Any, areas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area").choices = _area_choices(areas)
        _choice(self, "role").choices = [("", _("All roles")), *_role_choices()]


class SetPasswordForm(forms.Form):
    """A new password twice (the rules are checked again with the account)."""

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
        first, second = (
            self.cleaned_data.get("new_password1"),
            self.cleaned_data.get("new_password2"),
        )
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        return self.cleaned_data

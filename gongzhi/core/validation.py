"""The services' way of collecting field errors: every problem of a call at once, each
naming its field and its rule, raised as one `ValidationError`."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 control characters but tab and newlines: PostgreSQL refuses NUL in text outright.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Errors = dict[str, list[Any]]


def text_field(
    errors: Errors,
    field: str,
    value: Any,
    max_len: int,
    *,
    required: bool = False,
    one_line: bool = False,
) -> str:
    """`value` as stripped text, with its problems added to `errors` under `field`;
    `one_line` also folds every run of whitespace into one space (names, titles)."""
    text = ("" if value is None else str(value)).strip()
    if one_line:  # only spaces and line breaks fold: control characters are refused below
        text = " ".join(t for t in re.split(r"[ \t\r\n\u3000]+", text) if t)
    if CONTROL.search(text):
        errors.setdefault(field, []).append(_("Control characters (such as NUL) are not allowed."))
        text = CONTROL.sub("", text)
    if required and not text:
        errors.setdefault(field, []).append(_("This field is required."))
    if len(text) > max_len:
        errors.setdefault(field, []).append(
            _("At most %(max)d characters; this has %(count)d.")
            % {"max": max_len, "count": len(text)}
        )
    return text


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def merge_errors(errors: Errors, exc: ValidationError) -> None:
    """Add a ValidationError's errors to `errors`, keeping their codes."""
    if hasattr(exc, "error_dict"):
        for field, found in exc.error_dict.items():
            errors.setdefault(field, []).extend(found)
    else:
        errors.setdefault("__all__", []).extend(exc.error_list)


def errors_to_form(form: Any, error: ValidationError, label: Any = None) -> None:
    """Put a service's field errors on a Django form: on the field when the form has it,
    otherwise above the form, named by `label(name)` (the field's own name by default)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, messages in error.message_dict.items():
        if name in form.fields:
            form.add_error(name, messages)
        elif name == "__all__":
            form.add_error(None, messages)
        else:
            shown = label(name) if label else name
            form.add_error(
                None,
                [_("%(field)s: %(message)s") % {"field": shown, "message": m} for m in messages],
            )

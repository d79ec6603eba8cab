"""Errors that services raise and that the UI and the API turn into messages.

Field-level problems are Django's `ValidationError` with a dict of field -> messages, so
forms and the API's `{"code", "message", "fields"}` body both show which field broke which
rule. `NotFound` is raised for both missing and out-of-scope objects: a user can't tell
"exists but not yours" from "does not exist".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: Any = None, **extra: Any):
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(str(self.message))


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Forbidden(DomainError):
    """An action on a visible object that the user's role does not allow."""

    code = "forbidden"
    status = 403
    default_message = _("Your role does not allow this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The object was changed by someone else; reload and try again.")


class IllegalTransition(Conflict):
    """A state machine's move that does not exist from the object's current status."""

    code = "illegal_transition"
    default_message = _("This step is not possible for the object as it is now.")


class DuplicatePerson(ValidationError):
    """The resident ID number is already in the register; carries the existing person."""

    def __init__(self, message: Any, existing: Any):
        super().__init__({"id_number": [ValidationError(message, code="duplicate")]})
        self.existing = existing


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """`{"field": ["message", …]}` from a ValidationError; non-field errors under `__all__`."""
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for err in errors for m in err.messages]
            for name, errors in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}

"""Who acts and who looks: the kinds of user the code passes around.

`Actor` and `Viewer` are type-only (their names resolve under `TYPE_CHECKING`), so any
layer may import them without importing the models (the audit log is below accounts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gongzhi.accounts.models import User

# The user a service acts for; None is the system itself (the worker, the demo loader, a
# management command), which `access.require` lets through.
Actor: TypeAlias = "User | None"
# A request's user (`request.user`): signed in, or anonymous.
Viewer: TypeAlias = "User | AnonymousUser"


class SignedInRequest(HttpRequest):
    """The request of a view that only a signed-in user reaches (`login_required`,
    `accounts.decorators.requires`, every API operation: the API refuses anonymous
    requests), so its `user` is a `User`. An annotation only: nothing is checked here."""

    user: User
    htmx: HtmxDetails  # set on every request by django_htmx's HtmxMiddleware

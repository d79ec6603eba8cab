"""The views' one way to say "this page needs permission P somewhere"."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound

View = Callable[..., HttpResponseBase]


def requires(*perms: Perm) -> Callable[[View], View]:
    """Signed in, and holding one of `perms` somewhere; else 404 (a page the user has no
    part in does not exist for them). Per-object checks stay in the `*_get_for` selectors
    and the policy modules."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not any(access.can(request.user, perm) for perm in perms):
                raise NotFound()
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate

"""Where to go after a form: the `next` a page was given, if it is a path on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str | None) -> str:
    """`next` from the form or the query when it is a local path ("/…"), else `default`
    (a URL name or path; None: ""). Never a bare word: `redirect("abc")` would reverse it."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return resolve_url(default) if default is not None else ""

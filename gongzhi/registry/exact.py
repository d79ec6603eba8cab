"""Exact-value search (a full ID number or phone) is a reveal by oracle: answering "is
178****7649 this number?" ten thousand times rebuilds the number. So it is limited to
the roles that may reveal, audited (a keyed digest of the value, never the value), and
throttled per user and per API key; a burst past the limit is flagged to the auditor.

The throttle is django-ninja's `SimpleRateThrottle` (a sliding window in Django's cache)
keyed by the searcher instead of the client address, so the workbench, the API and
every other caller of `registry.selectors.person_search_for` share one quota.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from ninja.throttling import SimpleRateThrottle

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.core import crypto
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.notifications.services import notify

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Viewer

ID_NUMBER, PHONE = "id_number", "phone"
AUDIT_DIGEST_PURPOSE = "audit.exact_search"  # its own key: the digest joins no register column


class TooManyExactSearches(DomainError):
    code = "throttled"
    status = 429
    default_message = _(
        "Too many searches by full ID number or phone in a short time. The auditor has been "
        "told; try again later."
    )


class _SearcherThrottle(SimpleRateThrottle):
    """One sliding window per searcher (a user, or an API key)."""

    def __init__(self, ident: str):
        self.ident = ident
        super().__init__(rate=settings.GONGZHI_EXACT_SEARCH_RATE)

    def get_cache_key(self, request: Any) -> str:
        return f"gongzhi_exact_search_{self.ident}"

    def allowed(self) -> bool:
        """One more search within the rate? (The key is the searcher's, not a request's.)"""
        return self.allow_request(None)  # type: ignore[arg-type]  # get_cache_key reads no request


def _searchers(user: User) -> list[str]:
    idents = [f"user:{user.pk}"]
    membership = access.api_membership(user)
    if membership is not None:
        idents.append(f"apikey-membership:{membership.pk}")
    return idents


def _tell_auditors(user: User) -> None:
    """The nearest auditors above the searcher's areas hear of the burst (once a window:
    the inbox is not a second log)."""
    flag = f"gongzhi_exact_search_flagged_{user.pk}"
    if not cache.add(flag, True, timeout=_SearcherThrottle(f"user:{user.pk}").duration):
        return
    auditors = {
        m.user
        for path in access.paths(user, Perm.REGISTER_REVEAL)
        for m in access.holders(Perm.AUDIT_VIEW, path)
    }
    notify(
        recipients=list(auditors),
        kind="audit.exact_search_burst",
        title=str(_("Many searches by full ID number or phone")),
        body=_(
            "Account %(username)s went past the limit for exact searches and was refused. "
            "The audit log has each attempt (action register.exact_search_refused)."
        )
        % {"username": user.username},
    )


def exact_search_check(*, user: Viewer, kind: str, value: str) -> None:
    """Before an exact search: the role, the quota, the audit entry. The caller then looks
    only where the user may reveal."""
    if not user.is_authenticated or not access.can(user, Perm.REGISTER_REVEAL):
        raise Forbidden(
            _(
                "Searching by a full ID number or phone is only for roles that may see them "
                "in full. Search by name or address instead."
            )
        )
    digest = crypto.blind_index(value, AUDIT_DIGEST_PURPOSE)
    over = [ident for ident in _searchers(user) if not _SearcherThrottle(ident).allowed()]
    if over:
        audit_record(
            actor=user,
            action="register.exact_search_refused",
            object_type="registry.person",
            fields=[kind],
            purpose=system_purpose("exact_refused", kind=kind, digest=digest[:16]),
        )
        _tell_auditors(user)
        raise TooManyExactSearches()
    audit_record(
        actor=user,
        action="register.exact_search",
        object_type="registry.person",
        fields=[kind],
        purpose=system_purpose("exact_search", kind=kind, digest=digest[:16]),
    )

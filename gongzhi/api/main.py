"""The REST API at `/api/v1/`: OpenAPI at `openapi.json`, interactive docs at `docs`.

Each app owns its router (`<app>/api.py`); this module mounts them, sets the two ways in
(`auth.py`) on every operation and turns every error into `{"code", "message", "fields"}`
(`errors.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from gongzhi.accounts.api import router as accounts_router
from gongzhi.api import errors
from gongzhi.api.auth import api_key_auth, session_auth
from gongzhi.api.throttling import throttles
from gongzhi.core import uploads
from gongzhi.core.errors import NotFound
from gongzhi.health.api import router as health_router
from gongzhi.imports.api import router as imports_router
from gongzhi.notices.api import router as notices_router
from gongzhi.points.certificate_api import router as certificates_router
from gongzhi.points.ranking_api import router as points_ranking_router
from gongzhi.points.review_api import router as points_review_router
from gongzhi.points.reward_api import router as rewards_router
from gongzhi.proposals.api import router as proposals_router
from gongzhi.registry.api import router as registry_router
from gongzhi.reports.api import router as reports_router
from gongzhi.visits.api import router as visits_router
from gongzhi.workorders.api import router as workorders_router
from gongzhi.workorders.uploads import PHOTOS_LIMIT

# Operations that take photos accept less than the default request limit (core.uploads).
UPLOAD_LIMITS = {"workorder_evidence": PHOTOS_LIMIT}

DESCRIPTION = """\
The register of Gongzhi (共治): areas, households and persons, scoped to the caller's
memberships. Personal data (resident ID number, phone) is always masked; the full value
comes only from `POST /persons/{id}/reveal`, with a purpose, and is audited.

**Authentication**: an integration sends `X-API-Key: gz_<prefix>_<secret>` (issued with
`gongzhi apikey issue`); the key acts only as its one membership (a role on one node). The
workbench uses its signed-in session, with the CSRF token (`X-CSRFToken`) on writes.
Checking a certificate of service hours (`POST /certificates/verify`) and listing the
communities' public keys (`GET /certificates/keys`) need no credentials.

**Rate limits**: calls are counted per user, per API key, and per address for callers
without valid credentials; past the limit the answer is 429 (`code` "throttled") with a
`Retry-After` header in seconds.

**Errors** always have the body `{"code": str, "message": str, "fields": {field: [str]}}`;
`message` is in the user's language (Chinese by default).
"""


class GongzhiAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # Answers hold (masked) personal data: no shared or browser cache keeps them.
        response["Cache-Control"] = "no-store"
        return response

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = []
        for url in super()._get_urls():
            if isinstance(url, URLPattern) and url.name == "api-root":
                continue  # ninja's root raises Http404 (an HTML page); a JSON index instead
            if isinstance(url, URLPattern):
                url.callback = self._json_not_allowed(url.callback)
                if url.name in UPLOAD_LIMITS:
                    setattr(url.callback, uploads.ATTRIBUTE, UPLOAD_LIMITS[url.name])
            urls.append(url)
        return [*urls, path("", self._index, name="api-root")]

    def _json_not_allowed(self, view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
        """ninja answers a method a path lacks with a plain-text 405; give the error shape."""

        @wraps(view)  # keeps csrf_exempt: ninja's auth does the CSRF check
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                message = _("This method is not allowed here.")
                allowed = response["Allow"]
                response = self.create_response(
                    request, errors.error_body("method_not_allowed", message), status=405
                )
                response["Allow"] = allowed
            return response

        return wrapped

    def _index(self, request: HttpRequest) -> JsonResponse:
        root = request.path
        return JsonResponse(
            {
                "title": self.title,
                "version": self.version,
                "openapi": f"{root}{(self.openapi_url or '').lstrip('/')}",
                "docs": f"{root}{(self.docs_url or '').lstrip('/')}",
            }
        )


api = GongzhiAPI(
    title="Gongzhi API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[api_key_auth, session_auth],
    # Per user, per key, per address when not signed in; rates from settings.
    throttle=throttles(),
)
errors.install(api)

api.add_router("/", registry_router)
api.add_router("/", imports_router)
api.add_router("/", health_router)
api.add_router("/", reports_router)
api.add_router("/", workorders_router)
api.add_router("/", visits_router)
api.add_router("/", accounts_router)
api.add_router("/", rewards_router)
api.add_router("/", certificates_router)
api.add_router("/", "gongzhi.points.activity_api.router")
api.add_router("/", points_review_router)
api.add_router("/", notices_router)
api.add_router("/", points_ranking_router)
api.add_router("/", proposals_router)

# Last, so that it matches only what no operation does: a JSON 404, not Django's page.
_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:rest}",
    auth=None,
    include_in_schema=False,
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise NotFound()


api.add_router("/", _fallback)

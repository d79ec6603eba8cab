"""Family proxy requests (数字反哺) over REST, under the register's router at
`/proxy-requests`: for the grid worker and building head of the person's building
(`proxy.confirm`), the requests to confirm, and their answer."""

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from gongzhi.accounts.models import ProxyRelation, ProxyRequest, ProxyRequestStatus
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, WRITE_ERRORS, Clean, In, Mapped, Page
from gongzhi.registry import proxies

router = Router(tags=["proxies"])


class ProxyRequestOut(Schema):
    id: int
    status: ProxyRequestStatus
    person_id: int
    person_name: str
    requester_id: int
    requester_name: str
    requester_phone: str = Field(description="masked")
    relation: ProxyRelation
    label: str = Field(description="what the requester calls the person")
    refusal_reason: str
    link_id: int | None = Field(description="the proxy link made when confirmed")
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ProxyFiltersIn(Clean):
    status: ProxyRequestStatus | None = ProxyRequestStatus.PENDING


class ProxyRefuseIn(In):
    reason: str = Field(max_length=proxies.REASON_MAX, description="the requester reads it")


def _out(request: ProxyRequest) -> dict[str, Any]:
    user = request.user
    return {
        "id": request.pk,
        "status": request.status,
        "person_id": request.person_id,
        "person_name": request.person.name if request.person is not None else "",
        "requester_id": user.pk,
        "requester_name": str(user),
        "requester_phone": str(user.phone) if user.phone else "",
        "relation": request.relation,
        "label": request.label,
        "refusal_reason": request.refusal_reason,
        "link_id": request.link_id,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
    }


@router.get(
    "",
    response={200: list[ProxyRequestOut], **ERRORS},
    operation_id="proxy_request_list",
    url_name="proxy_request_list",
)
@paginate(Page)
def proxy_request_list(request: SignedInRequest, filters: Query[ProxyFiltersIn]) -> Any:
    """Requests to act for persons of your area (waiting ones by default)."""
    return Mapped(proxies.proxy_requests_for(user=request.user, status=filters.status or ""), _out)


@router.post(
    "/{proxy_request_id}/approve",
    response={200: ProxyRequestOut, **WRITE_ERRORS},
    operation_id="proxy_request_approve",
)
def proxy_request_approve(request: SignedInRequest, proxy_request_id: int) -> Any:
    """Confirm: the requester may act for the person from now on."""
    found = proxies.proxy_request_get_for(user=request.user, request_id=proxy_request_id)
    proxies.proxy_request_decide(actor=request.user, request=found, approve=True)
    return _out(proxies.proxy_request_get_for(user=request.user, request_id=proxy_request_id))


@router.post(
    "/{proxy_request_id}/refuse",
    response={200: ProxyRequestOut, **WRITE_ERRORS},
    operation_id="proxy_request_refuse",
)
def proxy_request_refuse(
    request: SignedInRequest, proxy_request_id: int, payload: ProxyRefuseIn
) -> Any:
    """Refuse, saying why."""
    found = proxies.proxy_request_get_for(user=request.user, request_id=proxy_request_id)
    proxies.proxy_request_decide(
        actor=request.user, request=found, approve=False, reason=payload.reason
    )
    return _out(proxies.proxy_request_get_for(user=request.user, request_id=proxy_request_id))

"""Certificate pages (电子证照). Thin: parse, call `points.certificates`, render.

- Workbench (/points/certificates/): certificates issued in the viewer's area (POINTS_VIEW),
  and the community's signing keys (CERTIFICATE_KEYS): make, rotate, list.
- Phone (/m/points/certificates/): my certificates, issue one for a period, its page with
  the QR, its PDF.
- Public (/verify/): check a token pasted or opened from a QR link; the published keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.core.throttling import AddressThrottle, too_many
from gongzhi.core.validation import errors_to_form
from gongzhi.points import certificate_pdf, certificates, signing
from gongzhi.points.signing import TOKEN_MAX

PAGE_SIZE = 50
resident_login_required = partial(login_required, login_url="portal:login")


class VerifyThrottle(AddressThrottle):
    """Certificates checked on /verify from one address."""

    scope = "verify"
    setting = "GONGZHI_RATE_VERIFY"


# --- workbench ------------------------------------------------------------------------------


@requires(Perm.POINTS_VIEW)
@require_GET
def certificate_list(request: SignedInRequest) -> HttpResponse:
    rows = certificates.certificates_in_scope(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.holder_label = certificates.stated_holder(row)  # masked, as the certificate states
    context = {"page_obj": page, "can_keys": access.can(request.user, Perm.CERTIFICATE_KEYS)}
    return render(request, "points/certificates/list.html", context)


@requires(Perm.CERTIFICATE_KEYS)
@require_GET
def keys(request: SignedInRequest) -> HttpResponse:
    communities = [
        (community, list(certificates.keys_of(community)))
        for community in certificates.key_communities_for(user=request.user)
    ]
    return render(
        request,
        "points/certificates/keys.html",
        {"communities": communities, "algorithm": certificates.configured_algorithm()},
    )


def _key_change(request: SignedInRequest, *, rotate: bool) -> HttpResponseBase:
    try:
        community = certificates.key_community_get_for(
            user=request.user, community_id=request.POST.get("community", "")
        )
    except NotFound:
        messages.error(request, _("Choose one of your communities."))
        return redirect("points_certificates:keys")
    try:
        if rotate:
            key = certificates.signing_key_rotate(community=community, actor=request.user)
            messages.success(
                request,
                _("Key rotated: new certificates are signed with %(key)s.") % {"key": key.key_id},
            )
        else:
            key = certificates.signing_key_ensure(community=community, actor=request.user)
            messages.success(request, _("Signing key %(key)s is ready.") % {"key": key.key_id})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("points_certificates:keys")


@requires(Perm.CERTIFICATE_KEYS)
@require_POST
def key_create(request: SignedInRequest) -> HttpResponseBase:
    return _key_change(request, rotate=False)


@requires(Perm.CERTIFICATE_KEYS)
@require_POST
def key_rotate(request: SignedInRequest) -> HttpResponseBase:
    return _key_change(request, rotate=True)


# --- phone ----------------------------------------------------------------------------------


class IssueForm(forms.Form):
    period_start = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"})
    )


@resident_login_required
@require_GET
def my_list(request: SignedInRequest) -> HttpResponse:
    rows = list(certificates.my_certificates(user=request.user)[:100])
    return render(request, "points/certificates/m_list.html", {"certificates": rows})


@resident_login_required
@require_http_methods(["GET", "POST"])
def issue(request: SignedInRequest) -> HttpResponseBase:
    today = clock.today()
    form = IssueForm(
        request.POST if request.method == "POST" else None,
        initial={"period_start": today.replace(month=1, day=1), "period_end": today},
    )
    if request.method == "POST" and form.is_valid():
        try:
            certificate = certificates.certificate_issue(
                actor=request.user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Certificate issued."))
            return redirect("points_certificates_m:detail", certificate_id=certificate.pk)
    return render(request, "points/certificates/m_issue.html", {"form": form})


@resident_login_required
@require_GET
def detail(request: SignedInRequest, certificate_id: int) -> HttpResponse:
    certificate = certificates.my_certificate_get(user=request.user, certificate_id=certificate_id)
    shown = certificates.shown(certificate)
    qr = certificate_pdf.qr_of(shown.token)
    context: dict[str, Any] = {
        "shown": shown,
        "certificate": certificate,
        # segno's own SVG, with no user text inside: safe to inline.
        "qr_svg": qr.svg_inline(scale=3, border=4),
        "verify_link": certificate_pdf.verify_link(shown.token),
        "issued": certificate.created_at,
    }
    return render(request, "points/certificates/m_detail.html", context)


@resident_login_required
@require_GET
def pdf(request: SignedInRequest, certificate_id: int) -> HttpResponse:
    certificate = certificates.my_certificate_get(user=request.user, certificate_id=certificate_id)
    body = certificate_pdf.render(certificates.shown(certificate))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.serial}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- public ---------------------------------------------------------------------------------


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Certificate code"),
        max_length=TOKEN_MAX + 500,  # a /verify link around the token
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponseBase:
    """Anyone may check a certificate: paste its code, or open its QR's link (?t=)."""
    text = request.POST.get("token", "") if request.method == "POST" else request.GET.get("t", "")
    form = VerifyForm(request.POST if request.method == "POST" else None)
    result = None
    if text or request.method == "POST":
        throttle = VerifyThrottle()
        if not throttle.allow_request(request):
            return too_many(request, throttle.wait())
        if request.method == "GET" or form.is_valid():
            result = certificates.certificate_verify(text)
    if request.method == "GET" and text:
        form = VerifyForm(initial={"token": text[: TOKEN_MAX + 500]})
    issued = signing.parse_time(result.payload["issued_at"]) if result and result.valid else None
    context = {"form": form, "result": result, "issued": issued}
    return render(request, "points/certificates/verify.html", context)


@require_GET
def keys_json(request: HttpRequest) -> JsonResponse:
    """Every community's public keys, current and retired: what offline checking needs."""
    response = JsonResponse(certificates.keys_document(), json_dumps_params={"indent": 1})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response

"""/m/outreach/<reference>/: a campaign's question behind an app notice, answered with one
tap by the person asked (or someone acting for them). Works at 390 px and in elder mode."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from gongzhi.accounts.types import SignedInRequest
from gongzhi.outreach import selectors
from gongzhi.outreach.callbacks import OPT_OUT_DIGIT, callback_record
from gongzhi.outreach.models import Recipient, RecipientState

resident_login_required = partial(login_required, login_url="portal:login")


@resident_login_required
@require_http_methods(["GET", "POST"])
def answer(request: SignedInRequest, reference: str) -> HttpResponse:
    attempt = selectors.notice_attempt_for(user=request.user, reference=reference)
    campaign = attempt.campaign
    choices = dict(campaign.choices or {})
    error = False
    if request.method == "POST":
        digit = request.POST.get("digit", "")
        if digit in choices or digit == OPT_OUT_DIGIT:
            callback_record(
                provider="notice",
                event_id=f"answer:{attempt.reference}",
                reference=attempt.reference,
                kind="answered",
                digit=digit,
            )
        else:
            error = True
    recipient = Recipient.objects.get(pk=attempt.recipient_id)
    return render(
        request,
        "outreach/m_answer.html",
        {
            "campaign": campaign,
            "question": campaign.voice_script or campaign.sms_text,
            "choices": choices,
            "opt_out": OPT_OUT_DIGIT,
            "answered": recipient.state == RecipientState.ANSWERED,
            "opted_out": recipient.state == RecipientState.OPTED_OUT,
            "answer_label": choices.get(recipient.answer, ""),
            "error": error,
        },
        status=400 if error else 200,
    )

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.registry.selectors import scope_summary_for


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """The workbench's start: what is in the user's area, and where to go from here."""
    summary = (
        scope_summary_for(user=request.user)
        if access.can(request.user, Perm.REGISTER_VIEW)
        else None
    )
    return render(request, "web/home.html", {"summary": summary})

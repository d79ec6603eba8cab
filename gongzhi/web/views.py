from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from gongzhi.accounts.types import SignedInRequest
from gongzhi.emergency.home import workbench_banners
from gongzhi.web.todo import todo_for


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """The workbench's start: what waits for the user today, and where to go from here."""
    return render(
        request,
        "web/home.html",
        # In emergency mode, the community's banner, duties and links come first.
        {"sections": todo_for(user=request.user), "banners": workbench_banners(request.user)},
    )

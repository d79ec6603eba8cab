"""/outreach/callbacks/: providers' deliveries and keypad answers (signed, no sign-in)."""

from django.urls import re_path

from gongzhi.outreach import callback_views

app_name = "outreach_callbacks"

urlpatterns = [
    # The provider's name as stored with its events (CallbackEvent.provider, 40 at most).
    re_path(r"^(?P<provider>[-a-zA-Z0-9_]{1,40})/$", callback_views.receive, name="receive"),
]

"""The public arrival declaration behind a community's QR link, mounted at /m/declare/
(before the portal's /m/): no sign-in needed; the key in the link names the community."""

from django.urls import path

from gongzhi.health import declaration_views as views

app_name = "declare"
urlpatterns = [
    path("", views.declare_mine, name="mine"),
    path("<str:key>/", views.declare_form, name="form"),
    path("<str:key>/code/", views.declare_code, name="code"),
    path("<str:key>/done/", views.declare_done, name="done"),
]

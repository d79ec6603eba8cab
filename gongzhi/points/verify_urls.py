"""Public certificate checking, mounted at /verify/ (no sign-in)."""

from django.urls import path

from gongzhi.points import certificate_views as views

app_name = "verify"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("keys.json", views.keys_json, name="keys_json"),
]

"""The public check-in pages a venue's QR opens, mounted at /m/v/ (no sign-in needed)."""

from django.urls import path

from gongzhi.health import checkin_views as views

app_name = "checkin"
urlpatterns = [
    path("<str:code>/", views.scan, name="scan"),
    path("<str:code>/code/", views.code, name="code"),
]

"""The drill check-in the assembly point's QR opens, mounted at /m/drill/ (before /m/)."""

from django.urls import path

from gongzhi.emergency import drill_m_views as views

app_name = "drill_m"
urlpatterns = [
    path("<str:code>/", views.checkin, name="checkin"),
]

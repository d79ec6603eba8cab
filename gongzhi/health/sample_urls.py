from django.urls import path

from gongzhi.health import sample_views as views

app_name = "health_samples"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.record, name="record"),
    path("scan/", views.scan, name="scan"),
    path("sessions/<int:session_id>/scan/", views.scan, name="session_scan"),
]

"""Residents' health pages, mounted at /m/health/ (before the portal's /m/)."""

from django.urls import path

from gongzhi.health import resident_views as views

app_name = "health_m"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("code/", views.my_code, name="code"),
    path("record/", views.my_record, name="record"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:session_id>/book/", views.book, name="book"),
    path("bookings/<int:booking_id>/cancel/", views.cancel, name="cancel"),
]

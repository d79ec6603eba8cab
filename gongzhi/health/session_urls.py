"""Workbench pages of testing and vaccination sessions, mounted at /health/sessions/."""

from django.urls import path

from gongzhi.health import session_views as views

app_name = "health_sessions"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("new/", views.session_create, name="create"),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/edit/", views.session_edit, name="edit"),
    path("<int:session_id>/close/", views.session_close, name="close"),
    path("<int:session_id>/record/", views.session_record, name="record"),
]

"""Workbench pages of reserved spaces, mounted at /emergency/spaces/."""

from django.urls import path

from gongzhi.emergency import space_views as views

app_name = "emergency_spaces"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.space_create, name="create"),
    path("<int:space_id>/edit/", views.space_edit, name="edit"),
    path("<int:space_id>/occupy/", views.space_occupy, name="occupy"),
]

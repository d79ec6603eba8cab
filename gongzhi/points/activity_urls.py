"""Workbench pages of the points square's activities, mounted at /points/activities/."""

from django.urls import path

from gongzhi.points import activity_views as views

app_name = "points_activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/edit/", views.activity_edit, name="edit"),
    path("<int:activity_id>/do/", views.activity_transition, name="transition"),
    path("<int:activity_id>/poster/", views.activity_poster, name="poster"),
]

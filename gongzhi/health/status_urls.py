"""/health/status/: the area's health statuses and the community's status rules."""

from django.urls import path

from gongzhi.health import status_views as views

app_name = "health_status"
urlpatterns = [
    path("", views.board, name="board"),
    path("rules/", views.rules, name="rules"),
]

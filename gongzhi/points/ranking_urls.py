"""The workbench's rankings, mounted at /points/rankings/."""

from django.urls import path

from gongzhi.points import ranking_views as views

app_name = "points_rankings"
urlpatterns = [
    path("", views.ranking_page, name="page"),
]

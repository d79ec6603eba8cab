"""The phone's rankings (one's own community and grid), mounted at /m/points/rankings/."""

from django.urls import path

from gongzhi.points import ranking_views as views

app_name = "points_rankings_m"
urlpatterns = [
    path("", views.my_rankings, name="mine"),
]

"""/m/points/me/: my points and service hours."""

from django.urls import path

from gongzhi.points import ledger_m_views as views

app_name = "points_me"
urlpatterns = [
    path("", views.my_points, name="home"),
]

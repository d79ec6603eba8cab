from django.urls import path

from gongzhi.emergency import switch_views as views

app_name = "emergency"

urlpatterns = [
    path("", views.index, name="index"),
    path("switch/", views.switch, name="switch"),
    path("profiles/", views.profiles, name="profiles"),
    path("home/", views.home, name="home"),
]

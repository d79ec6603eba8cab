from django.urls import path

from gongzhi.emergency import switch_views as views

app_name = "emergency_home_m"

urlpatterns = [
    path("", views.m_home, name="index"),
]

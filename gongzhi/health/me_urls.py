"""/m/health/me/: my health status, and my health data and until when it is kept."""

from django.urls import path

from gongzhi.health import me_views as views

app_name = "health_me"
urlpatterns = [
    path("", views.my_status, name="status"),
    path("data/", views.my_data, name="data"),
]

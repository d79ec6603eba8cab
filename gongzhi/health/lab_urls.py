from django.urls import path

from gongzhi.health import lab_views as views

app_name = "health_lab"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.upload, name="upload"),
    path("<int:lab_batch_id>/", views.detail, name="detail"),
]

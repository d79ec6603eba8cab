"""The big screen (大屏), mounted at /screen/."""

from django.urls import path

from gongzhi.emergency import screen_views as views

app_name = "screen"
urlpatterns = [
    path("", views.screen_index, name="index"),
    path("<int:area_id>/", views.screen_page, name="page"),
    path("<int:area_id>/data.json", views.screen_data_json, name="data"),
]

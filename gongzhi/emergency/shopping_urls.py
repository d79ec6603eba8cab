"""Deliveries of lockdown shopping lists, mounted at /emergency/deliveries/."""

from django.urls import path

from gongzhi.emergency import shopping_views as views

app_name = "emergency_deliveries"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/deliver/", views.deliver_building, name="deliver_building"),
    path("lists/<int:list_id>/deliver/", views.deliver_list, name="deliver_list"),
]

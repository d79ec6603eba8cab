"""Workbench pages of supplies, mounted at /emergency/supplies/."""

from django.urls import path

from gongzhi.emergency import supply_views as views

app_name = "emergency_supplies"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.item_create, name="create"),
    path("<int:item_id>/", views.item_detail, name="item"),
    path("<int:item_id>/edit/", views.item_edit, name="edit"),
    path("<int:item_id>/move/", views.item_move, name="move"),
]

"""Workbench pages of rewards (能量仓), mounted at /points/rewards/."""

from django.urls import path

from gongzhi.points import reward_views as views

app_name = "rewards"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.reward_new, name="new"),
    path("<int:reward_id>/", views.reward_edit, name="edit"),
    path("<int:reward_id>/restock/", views.reward_restock, name="restock"),
    path("<int:reward_id>/retire/", views.reward_retire, name="retire"),
    path("exchange/", views.exchange, name="exchange"),
    path("history/", views.history, name="history"),
]

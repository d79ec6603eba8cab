from django.urls import path

from gongzhi.emergency import plan_views as views

app_name = "emergency_plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/refresh/", views.plan_refresh, name="refresh"),
    path("<int:plan_id>/approve/", views.plan_approve, name="approve"),
    path("<int:plan_id>/retire/", views.plan_retire, name="retire"),
    path("<int:plan_id>/lessons/", views.plan_lessons, name="lessons"),
    path("<int:plan_id>/download/<str:fmt>/", views.plan_download, name="download"),
]

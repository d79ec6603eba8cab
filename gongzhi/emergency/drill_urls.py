from django.urls import path

from gongzhi.emergency import drill_views as views

app_name = "emergency_drills"
urlpatterns = [
    path("", views.drill_list, name="list"),
    path("new/", views.drill_create, name="create"),
    path("<int:drill_id>/", views.drill_detail, name="detail"),
    path("<int:drill_id>/participants/", views.participants_add, name="participants"),
    path("<int:drill_id>/action/", views.drill_act, name="act"),
    path("<int:drill_id>/record/", views.participant_record, name="record"),
    path("<int:drill_id>/finish/", views.drill_finish, name="finish"),
]

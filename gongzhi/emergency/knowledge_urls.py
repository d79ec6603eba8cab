from django.urls import path

from gongzhi.emergency import knowledge_views as views

app_name = "emergency_lessons"
urlpatterns = [
    path("", views.lesson_list, name="list"),
    path("new/", views.lesson_create, name="create"),
    path("<int:lesson_id>/", views.lesson_detail, name="detail"),
    path("<int:lesson_id>/edit/", views.lesson_edit, name="edit"),
    path("<int:lesson_id>/share/", views.lesson_share, name="share"),
]

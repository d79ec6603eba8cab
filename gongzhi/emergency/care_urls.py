"""The three-person team's board, mounted at /emergency/care/."""

from django.urls import path

from gongzhi.emergency import care_views as views

app_name = "emergency_care"
urlpatterns = [
    path("", views.board, name="board"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/advance/", views.case_advance, name="advance"),
    path("<int:case_id>/release/", views.case_release, name="release"),
    path("<int:case_id>/take/", views.task_take, name="take"),
    path("<int:case_id>/done/", views.task_done, name="done"),
    path("<int:case_id>/check/", views.check_record, name="check"),
    path("entry/<int:entry_id>/open/", views.open_from_entry, name="open_entry"),
]

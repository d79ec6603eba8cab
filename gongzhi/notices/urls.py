"""Notices on the workbench (staff with notice.publish), mounted at /notices/."""

from django.urls import path

from gongzhi.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_create, name="create"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>/edit/", views.notice_edit, name="edit"),
    path("<int:notice_id>/pin/", views.notice_pin, name="pin"),
    path("<int:notice_id>/withdraw/", views.notice_withdraw, name="withdraw"),
    path("<int:notice_id>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]

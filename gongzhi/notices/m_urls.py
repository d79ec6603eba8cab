"""Residents' notices, mounted at /m/notices/ (inside the portal's frame)."""

from django.urls import path

from gongzhi.notices import resident_views as views

app_name = "notices_resident"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]

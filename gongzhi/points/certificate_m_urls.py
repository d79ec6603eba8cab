"""A volunteer's own certificates on the phone, mounted at /m/points/certificates/."""

from django.urls import path

from gongzhi.points import certificate_views as views

app_name = "points_certificates_m"
urlpatterns = [
    path("", views.my_list, name="list"),
    path("new/", views.issue, name="issue"),
    path("<int:certificate_id>/", views.detail, name="detail"),
    path("<int:certificate_id>/pdf/", views.pdf, name="pdf"),
]

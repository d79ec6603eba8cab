"""Workbench certificate pages, mounted at /points/certificates/."""

from django.urls import path

from gongzhi.points import certificate_views as views

app_name = "points_certificates"
urlpatterns = [
    path("", views.certificate_list, name="list"),
    path("keys/", views.keys, name="keys"),
    path("keys/create/", views.key_create, name="key_create"),
    path("keys/rotate/", views.key_rotate, name="key_rotate"),
]

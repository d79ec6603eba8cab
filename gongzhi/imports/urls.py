from django.urls import path

from gongzhi.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.batch_list, name="list"),
    path("new/", views.upload, name="upload"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/merge/", views.merge, name="merge"),
    path("<int:import_id>/", views.detail, name="detail"),
    path("<int:import_id>/report/", views.report, name="report"),
]

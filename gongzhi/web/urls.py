from django.urls import path

from gongzhi.web import export_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("exports/<int:export_job_id>/", export_views.export_job, name="export_job"),
    path(
        "exports/<int:export_job_id>/download/",
        export_views.export_job_download,
        name="export_job_download",
    ),
]

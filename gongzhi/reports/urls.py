from django.urls import path

from gongzhi.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("templates/new/", views.template_upload, name="template_upload"),
    path("templates/ready-made/", views.template_install, name="template_install"),
    path("templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path(
        "templates/<int:template_id>/schedule/",
        views.template_schedule,
        name="template_schedule",
    ),
    path("templates/<int:template_id>/fill/", views.template_fill, name="template_fill"),
    path("history/", views.report_history, name="report_history"),
    path("<int:report_id>/download/", views.report_download, name="report_download"),
]

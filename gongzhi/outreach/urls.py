from django.urls import path

from gongzhi.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.campaigns, name="list"),
    path("new/", views.create, name="create"),
    path("new/preview/", views.preview, name="preview"),
    path("<int:campaign_id>/", views.detail, name="detail"),
    path("<int:campaign_id>/progress/", views.progress, name="progress"),
    path("<int:campaign_id>/action/", views.act, name="act"),
    path("attempts/<int:attempt_id>/simulate/", views.simulate, name="simulate"),
]

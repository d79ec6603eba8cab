"""Arrival declarations in the workbench, mounted at /health/declarations/."""

from django.urls import path

from gongzhi.health import declaration_views as views

app_name = "health_declarations"
urlpatterns = [
    path("", views.declaration_list, name="list"),
    path("<int:declaration_id>/", views.declaration_detail, name="detail"),
    path("<int:declaration_id>/confirm/", views.declaration_confirm, name="confirm"),
    path("poster/<int:community_id>/", views.declaration_poster, name="poster"),
]

"""Workbench pages of venue codes (场所码), mounted at /health/venues/."""

from django.urls import path

from gongzhi.health import venue_views as views

app_name = "health_venues"
urlpatterns = [
    path("", views.venue_list, name="list"),
    path("new/", views.venue_create, name="create"),
    path("<int:venue_id>/", views.venue_detail, name="detail"),
    path("<int:venue_id>/edit/", views.venue_edit, name="edit"),
    path("<int:venue_id>/do/", views.venue_transition, name="transition"),
    path("<int:venue_id>/poster/", views.venue_poster, name="poster"),
]

"""Contact tracing pages, mounted at /health/trace/."""

from django.urls import path

from gongzhi.health import trace_views as views

app_name = "health_trace"
urlpatterns = [
    path("", views.index, name="index"),
    path("venues/<int:venue_id>/", views.venue, name="venue"),
    path("persons/<int:person_id>/", views.person, name="person"),
]

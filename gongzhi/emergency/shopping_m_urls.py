"""Residents' shopping lists, mounted at /m/shopping/ (inside the portal's frame)."""

from django.urls import path

from gongzhi.emergency import shopping_m_views as views

app_name = "emergency_m"
urlpatterns = [
    path("", views.shopping_page, name="shopping"),
    path("<int:list_id>/cancel/", views.shopping_cancel, name="shopping_cancel"),
    path("<int:list_id>/receive/", views.shopping_receive, name="shopping_receive"),
]

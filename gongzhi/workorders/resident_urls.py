"""Residents' work-order pages, mounted at /m/orders/ (inside the portal's frame)."""

from django.urls import path

from gongzhi.workorders import resident_views as views

app_name = "workorders_resident"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("<int:workorder_id>/", views.order_detail, name="detail"),
    path("<int:workorder_id>/add/", views.order_add_info, name="add_info"),
    path("<int:workorder_id>/rate/", views.order_rate, name="rate"),
    path("<int:workorder_id>/reopen/", views.order_reopen, name="reopen"),
    path("<int:workorder_id>/cancel/", views.order_cancel, name="cancel"),
    path("<int:workorder_id>/photos/<int:photo_id>/", views.order_photo, name="photo"),
]

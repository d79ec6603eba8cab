"""Residents' reward pages (能量仓), mounted at /m/points/rewards/ (inside the portal's frame)."""

from django.urls import path

from gongzhi.points import reward_m_views as views

app_name = "rewards_m"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:reward_id>/redeem/", views.redeem, name="redeem"),
    path("vouchers/", views.vouchers, name="vouchers"),
    path("vouchers/<int:voucher_id>/", views.voucher, name="voucher"),
    path("vouchers/<int:voucher_id>/cancel/", views.voucher_cancel, name="voucher_cancel"),
]

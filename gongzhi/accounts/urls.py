from django.urls import path

from gongzhi.accounts import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("account/", staff_views.my_account, name="my_account"),
    path("account/2fa/", views.second_factor, name="second_factor"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/link/", staff_views.link_set, name="link_set"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/holders/", staff_views.holders, name="holders"),
    path("staff/<int:user_id>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/grant/", staff_views.staff_grant, name="staff_grant"),
    path(
        "staff/<int:user_id>/roles/<int:membership_id>/revoke/",
        staff_views.staff_revoke,
        name="staff_revoke",
    ),
    path("staff/<int:user_id>/invite/", staff_views.staff_invite, name="staff_invite"),
    path(
        "staff/<int:user_id>/reset-password/",
        staff_views.staff_reset_password,
        name="staff_reset_password",
    ),
    path("staff/<int:user_id>/deactivate/", staff_views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:user_id>/reactivate/", staff_views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<int:user_id>/second-factor/",
        staff_views.staff_second_factor_reset,
        name="staff_second_factor_reset",
    ),
]

from django.urls import path
from django.views.generic import RedirectView

from gongzhi.registry import proxy_views, transfer_views, views

app_name = "registry"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="registry:household_list"), name="index"),
    path("areas/", views.area_tree, name="area_tree"),
    path("areas/import/", views.area_import, name="area_import"),
    path("areas/<int:area_id>/", views.area_children, name="area_children"),
    path("areas/<int:area_id>/new/", views.area_create, name="area_create"),
    path("areas/<int:area_id>/edit/", views.area_edit, name="area_edit"),
    path("areas/<int:area_id>/move/", views.area_move, name="area_move"),
    path("areas/<int:area_id>/close/", views.area_close, name="area_close"),
    path("areas/<int:area_id>/reopen/", views.area_reopen, name="area_reopen"),
    path("areas/<int:area_id>/map/", views.area_shapes, name="area_shapes"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/move/", views.household_move, name="household_move"),
    path(
        "households/<int:household_id>/persons/new/",
        views.person_create,
        name="person_create",
    ),
    path("persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/move-out/", views.person_move_out, name="person_move_out"),
    path("persons/<int:person_id>/move-in/", views.person_move_in, name="person_move_in"),
    path("persons/<int:person_id>/tags/", views.person_tags, name="person_tags"),
    path(
        "persons/<int:person_id>/reveal/<str:field>/",
        views.person_reveal,
        name="person_reveal",
    ),
    # Family proxies (数字反哺): requests to confirm, links made or ended from a person's page.
    path("proxies/", proxy_views.proxy_list, name="proxy_list"),
    path(
        "proxies/<int:proxy_request_id>/approve/", proxy_views.proxy_approve, name="proxy_approve"
    ),
    path("proxies/<int:proxy_request_id>/refuse/", proxy_views.proxy_refuse, name="proxy_refuse"),
    path("persons/<int:person_id>/proxies/", proxy_views.proxy_add, name="proxy_add"),
    path(
        "persons/<int:person_id>/proxies/<int:link_id>/end/",
        proxy_views.proxy_end,
        name="proxy_end",
    ),
    # Transfer requests (迁入申请): registering a person another area holds.
    path("transfers/", transfer_views.transfer_list, name="transfer_list"),
    path(
        "households/<int:household_id>/transfer/",
        transfer_views.transfer_create,
        name="transfer_create",
    ),
    path("transfers/<int:transfer_id>/", transfer_views.transfer_detail, name="transfer_detail"),
    path(
        "transfers/<int:transfer_id>/approve/",
        transfer_views.transfer_approve,
        name="transfer_approve",
    ),
    path(
        "transfers/<int:transfer_id>/decline/",
        transfer_views.transfer_decline,
        name="transfer_decline",
    ),
    path(
        "transfers/<int:transfer_id>/cancel/",
        transfer_views.transfer_cancel,
        name="transfer_cancel",
    ),
]

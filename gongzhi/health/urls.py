from django.urls import path

from gongzhi.health import views

app_name = "health"
urlpatterns = [
    path("watchlist/", views.watchlist, name="watchlist"),
    path("watchlist/<int:entry_id>/", views.entry_detail, name="entry_detail"),
    path("watchlist/<int:entry_id>/transition/", views.entry_transition, name="entry_transition"),
    path("watchlist/<int:entry_id>/assign/", views.entry_assign, name="entry_assign"),
    path("watchlist/<int:entry_id>/reveal/<str:field>/", views.entry_reveal, name="entry_reveal"),
    path("upstream-lists/", views.upstream_list_index, name="upstream_list_index"),
    path("upstream-lists/new/", views.upstream_list_upload, name="upstream_list_upload"),
    path(
        "upstream-lists/<int:upstream_list_id>/",
        views.upstream_list_detail,
        name="upstream_list_detail",
    ),
    path(
        "upstream-lists/<int:upstream_list_id>/rematch/",
        views.upstream_list_rematch,
        name="upstream_list_rematch",
    ),
]

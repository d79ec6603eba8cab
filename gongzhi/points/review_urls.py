"""Workbench: reviewing proofs, adjustments, holders and their ledgers (under /points/)."""

from django.urls import path

from gongzhi.points import review_views as views

app_name = "points_review"
urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/<int:proof_id>/", views.proof_detail, name="proof"),
    path("review/<int:proof_id>/file/", views.proof_file, name="proof_file"),
    path("adjustments/", views.adjustment_list, name="adjustments"),
    path(
        "adjustments/<int:adjustment_id>/decide/",
        views.adjustment_decide,
        name="adjustment_decide",
    ),
    path("holders/", views.holder_list, name="holders"),
    path("holders/<int:holder_id>/", views.holder_detail, name="holder"),
    path("entries/<int:ledger_entry_id>/reverse/", views.entry_reverse, name="entry_reverse"),
]

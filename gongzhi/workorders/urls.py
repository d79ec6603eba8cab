from django.urls import path

from gongzhi.workorders import reportin_views, views

app_name = "workorders"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("board/", views.board, name="board"),
    path("tasks/", views.tasks, name="tasks"),
    path("new/", views.create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:workorder_id>/", views.detail, name="detail"),
    path("<int:workorder_id>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:workorder_id>/solve/", views.solve, name="solve"),
    path("<int:workorder_id>/escalate/", views.escalate, name="escalate"),
    path("<int:workorder_id>/cancel/", views.cancel, name="cancel"),
    path("<int:workorder_id>/callback/", views.callback, name="callback"),
    path("<int:workorder_id>/phone/", views.phone, name="phone"),
    path("<int:workorder_id>/accept/", views.accept, name="accept"),
    path("<int:workorder_id>/decline/", views.decline, name="decline"),
    path("<int:workorder_id>/start/", views.start, name="start"),
    path("<int:workorder_id>/evidence/", views.evidence, name="evidence"),
    path("<int:workorder_id>/resolve/", views.resolve, name="resolve"),
    path("<int:workorder_id>/photos/<int:photo_id>/", views.attachment, name="attachment"),
    # Report-ins (双报到) and volunteers: approve, place, pair with households.
    path("volunteers/", reportin_views.reportin_list, name="reportin_list"),
    path("volunteers/add/", reportin_views.reportin_add, name="reportin_add"),
    path(
        "volunteers/reportins/<int:reportin_id>/",
        reportin_views.reportin_detail,
        name="reportin_detail",
    ),
    path(
        "volunteers/reportins/<int:reportin_id>/approve/",
        reportin_views.reportin_approve,
        name="reportin_approve",
    ),
    path(
        "volunteers/reportins/<int:reportin_id>/refuse/",
        reportin_views.reportin_refuse,
        name="reportin_refuse",
    ),
    path(
        "volunteers/<int:volunteer_id>/", reportin_views.volunteer_detail, name="volunteer_detail"
    ),
    path(
        "volunteers/<int:volunteer_id>/pairings/",
        reportin_views.volunteer_pairings,
        name="volunteer_pairings",
    ),
]

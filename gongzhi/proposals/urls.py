"""Staff's proposal and poll pages, mounted at /proposals/ on the workbench."""

from django.urls import path

from gongzhi.proposals import views

app_name = "proposals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("from-order/", views.from_order, name="from_order"),
    path("<int:proposal_id>/", views.detail, name="detail"),
    path("<int:proposal_id>/step/", views.step, name="step"),
    path("polls/", views.polls, name="polls"),
    path("polls/new/", views.poll_new, name="poll_new"),
    path("polls/<int:poll_id>/", views.poll, name="poll"),
    path("polls/<int:poll_id>/review/", views.flag_review, name="flag_review"),
]

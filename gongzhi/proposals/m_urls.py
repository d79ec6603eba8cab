"""Residents' proposal and poll pages, mounted at /m/proposals/ (inside the portal's frame)."""

from django.urls import path

from gongzhi.proposals import views

app_name = "proposals_m"
urlpatterns = [
    path("", views.m_list, name="list"),
    path("new/", views.m_new, name="new"),
    path("<int:proposal_id>/", views.m_detail, name="detail"),
    path("<int:proposal_id>/support/", views.m_support, name="support"),
    path("polls/<int:poll_id>/", views.m_poll, name="poll"),
    path("polls/<int:poll_id>/vote/", views.m_vote, name="vote"),
]

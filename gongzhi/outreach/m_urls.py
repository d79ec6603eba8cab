"""/m/outreach/<reference>/: answer a campaign's app notice."""

from django.urls import path

from gongzhi.outreach import m_views as views

app_name = "outreach_m"
urlpatterns = [
    path("<str:reference>/", views.answer, name="answer"),
]

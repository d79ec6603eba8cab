"""The points square on the phone, mounted at /m/points/ (before the portal's /m/). An
activity as a participant sees it is an "open activity" (`open_activity_id`)."""

from django.urls import path

from gongzhi.points import activity_m_views as views

app_name = "points_m"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("mine/", views.my_activities, name="mine"),
    path("activities/<int:open_activity_id>/", views.activity_detail, name="detail"),
    path("activities/<int:open_activity_id>/signup/", views.activity_signup, name="signup"),
    path("signups/<int:signup_id>/cancel/", views.signup_cancel, name="cancel"),
    path("signups/<int:signup_id>/proof/", views.proof_submit, name="proof"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
]

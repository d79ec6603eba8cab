from django.urls import path

from gongzhi.portal import family_views, reportin_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("inbox/", views.inbox, name="inbox"),
    path("account/", views.account, name="account"),
    path("elder/", views.elder, name="elder"),
    path("acting/", views.acting_switch, name="acting"),
    # 双报到 report-in: sign up as a party member or volunteer; my households.
    path("volunteer/", reportin_views.volunteer, name="volunteer"),
    path("volunteer/code/", reportin_views.volunteer_code, name="volunteer_code"),
    path("volunteer/withdraw/", reportin_views.volunteer_withdraw, name="volunteer_withdraw"),
    # 数字反哺: ask to act for a parent; stop acting for someone.
    path("family/", family_views.family, name="family"),
    path("family/end/", family_views.family_end, name="family_end"),
    path("family/withdraw/", family_views.family_withdraw, name="family_withdraw"),
]

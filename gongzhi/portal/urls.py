from django.urls import path

from gongzhi.portal import views

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
]

from django.urls import path

from gongzhi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("account/2fa/", views.second_factor, name="second_factor"),
    path("account/password/", views.password_change, name="password_change"),
]

from django.urls import path

from gongzhi.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark_read"),
    path("open/", views.open_notification, name="open"),
    path("outbox/", views.outbox, name="outbox"),
]

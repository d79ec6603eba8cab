from django.urls import path

from gongzhi.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.due, name="due"),
    path("mine/", views.mine, name="mine"),
    path("households/<int:household_id>/", views.household, name="household"),
    path("households/<int:household_id>/new/", views.log, name="log"),
    path("rules/", views.rules, name="rules"),
    path("rules/set/", views.rule_set, name="rule_set"),
    path("workload/", views.workload, name="workload"),
]

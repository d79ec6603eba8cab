"""Open311 GeoReport v2 at /open311/v2/ (see workorders/open311.py). `.json` or `.xml`;
any other suffix reaches the view and is refused in the spec's format, and any other path
is the spec's 404 (the last, unnamed pattern) rather than Django's page."""

from django.urls import re_path

from gongzhi.workorders import open311

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"
urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.services_list, name="services"),
    re_path(r"^services/(?P<code>[-\w]{1,40})" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_, name="requests"),
    re_path(r"^requests/(?P<workorder_id>\d{1,30})" + FMT, open311.request_, name="request"),
    re_path(r"^media/(?P<token>[-\w:]{1,100})$", open311.media, name="media"),
    re_path(r"^(?P<rest>.*)$", open311.not_found),
]

from django.urls import include, path

from gongzhi.api.main import api
from gongzhi.core.views import healthz
from gongzhi.web.assets import favicon

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("gongzhi.web.urls")),
    path("", include("gongzhi.accounts.urls")),
    path("register/imports/", include("gongzhi.imports.urls")),
    path("register/", include("gongzhi.registry.urls")),
    path("audit/", include("gongzhi.audit.urls")),
    path("health/", include("gongzhi.health.urls")),
    path("reports/", include("gongzhi.reports.urls")),
    path("orders/", include("gongzhi.workorders.urls")),
    path("visits/", include("gongzhi.visits.urls")),
    path("proposals/", include("gongzhi.proposals.urls")),
    path("open311/v2/", include("gongzhi.workorders.open311_urls")),
    path("inbox/", include("gongzhi.notifications.urls")),
    path("m/orders/", include("gongzhi.workorders.resident_urls")),
    path("m/proposals/", include("gongzhi.proposals.m_urls")),
    path("m/", include("gongzhi.portal.urls")),
]

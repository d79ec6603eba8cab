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
    path("outreach/", include("gongzhi.outreach.urls")),
    path("notices/", include("gongzhi.notices.urls")),
    path("proposals/", include("gongzhi.proposals.urls")),
    path("open311/v2/", include("gongzhi.workorders.open311_urls")),
    path("inbox/", include("gongzhi.notifications.urls")),
    path("points/rewards/", include("gongzhi.points.reward_urls")),
    path("m/orders/", include("gongzhi.workorders.resident_urls")),
    path("m/points/rewards/", include("gongzhi.points.reward_m_urls")),
    path("points/certificates/", include("gongzhi.points.certificate_urls")),
    path("verify/", include("gongzhi.points.verify_urls")),
    path("m/points/certificates/", include("gongzhi.points.certificate_m_urls")),
    path("points/activities/", include("gongzhi.points.activity_urls")),
    path("m/points/", include("gongzhi.points.activity_m_urls")),
    path("points/", include("gongzhi.points.review_urls")),
    path("m/points/me/", include("gongzhi.points.ledger_m_urls")),
    path("m/notices/", include("gongzhi.notices.m_urls")),
    path("points/rankings/", include("gongzhi.points.ranking_urls")),
    path("m/points/rankings/", include("gongzhi.points.ranking_m_urls")),
    path("m/proposals/", include("gongzhi.proposals.m_urls")),
    path("m/outreach/", include("gongzhi.outreach.m_urls")),
    path("m/", include("gongzhi.portal.urls")),
]

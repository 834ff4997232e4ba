from django.contrib import admin
from django.urls import include, path

from qinqing.api.api import api
from qinqing.common import views as common_views
from qinqing.common.metrics import metrics_view

urlpatterns = [
    path("", common_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("qinqing.accounts.urls")),
    path("directory/", include("qinqing.directory.urls")),
    path("audit/", include("qinqing.audit.urls")),
    path("inbox/", include("qinqing.inbox.urls")),
    path("mediation/", include("qinqing.demands.mediation_urls")),
    path("outreach/", include("qinqing.outreach.urls")),
    path("demands/", include("qinqing.demands.urls")),
    path("calendar/", include("qinqing.common.calendar_urls")),
    path("stats/", include("qinqing.demands.stats_urls")),
    path("surveys/", include("qinqing.consultation.urls")),
    path("drafts/", include("qinqing.consultation.drafts.urls")),
    path("notices/", include("qinqing.notices.urls")),
    path("matching/", include("qinqing.notices.matching.urls")),
    path("emergency/", include("qinqing.notices.emergency.urls")),
    path("integrity/", include("qinqing.integrity.urls")),
    path("relations/", include("qinqing.integrity.relations.urls")),
    path("reports/", include("qinqing.integrity.reports.urls")),
    path("exemption/", include("qinqing.exemption.urls")),
    path("index/", include("qinqing.index.urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", include("qinqing.demands.open311_urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "亲清 · 后台管理"
admin.site.site_title = "亲清"

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from onewindow.api.urls import api

admin.site.site_header = "一窗通 · 管理后台"
admin.site.site_title = "一窗通管理后台"
admin.site.index_title = "政务服务平台管理"

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("onewindow.accounts.urls")),
    path("workbench/cases/", include("onewindow.cases.urls_staff")),
    path("workbench/", include("onewindow.portal.workbench_urls")),
    path("", include("onewindow.hall.urls")),
    path("", include("onewindow.hotline.urls")),
    path("", include("onewindow.evaluation.urls")),
    path("", include("onewindow.proxy.urls")),
    path("", include("onewindow.packages.urls")),
    path("", include("onewindow.supervision.urls")),
    path("", include("onewindow.enterprise.urls")),
    path("", include("onewindow.stats.urls")),
    path("", include("onewindow.assessment.urls")),
    path("", include("onewindow.joint.urls")),
    path("", include("onewindow.cases.urls_public")),
    path("", include("onewindow.catalog.urls")),
    path("", include("onewindow.portal.urls")),
]

if settings.DEBUG:
    from django.views.static import serve

    urlpatterns += [
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler404 = "onewindow.portal.views.not_found"
handler500 = "onewindow.portal.views.server_error"

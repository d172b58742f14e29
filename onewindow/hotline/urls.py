"""Pages of the hotline and its knowledge base (public robot, staff knowledge base)."""

from django.urls import URLPattern, path

from onewindow.hotline import views

app_name = "hotline"

urlpatterns: list[URLPattern] = [
    path("robot/", views.robot, name="robot"),
    path("robot/articles/<slug:key>/", views.article_public, name="article"),
    path("workbench/knowledge/", views.staff_list, name="staff_list"),
    path("workbench/knowledge/new/", views.staff_new, name="staff_new"),
    path("workbench/knowledge/review/", views.staff_review, name="staff_review"),
    path("workbench/knowledge/unanswered/", views.staff_unanswered, name="staff_unanswered"),
    path("workbench/knowledge/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("workbench/knowledge/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("workbench/knowledge/<int:pk>/<slug:action>/", views.staff_action,
         name="staff_action"),
]

from onewindow.hotline import views_orders  # noqa: E402

urlpatterns += [
    path("hotline/new/", views_orders.public_new, name="order_public_new"),
    path("hotline/follow/", views_orders.public_follow, name="order_public_follow"),
    path("workbench/hotline/", views_orders.centre, name="order_centre"),
    path("workbench/hotline/new/", views_orders.centre_new, name="order_new"),
    path("workbench/hotline/inbox/", views_orders.inbox, name="order_inbox"),
    path("workbench/hotline/metrics/", views_orders.metrics, name="order_metrics"),
    path("workbench/hotline/<str:order_no>/", views_orders.detail, name="order_detail"),
    path("workbench/hotline/<str:order_no>/<slug:action>/", views_orders.act,
         name="order_action"),
]

from django.urls import re_path  # noqa: E402

from onewindow.hotline import open311  # noqa: E402

_F = r"\.(?P<fmt>json|xml)$"
urlpatterns += [
    re_path(r"^open311/v2/discovery" + _F, open311.discovery, name="open311_discovery"),
    re_path(r"^open311/v2/services" + _F, open311.services, name="open311_services"),
    re_path(r"^open311/v2/services/(?P<code>[\w.-]{1,40})" + _F, open311.service_definition,
            name="open311_service"),
    # Some clients (the `open311` package among them) ask for service/{code} in the singular.
    re_path(r"^open311/v2/service/(?P<code>[\w.-]{1,40})" + _F, open311.service_definition),
    re_path(r"^open311/v2/requests" + _F, open311.requests_view, name="open311_requests"),
    re_path(r"^open311/v2/requests/(?P<order_no>[\w-]{1,24})" + _F, open311.request_detail,
            name="open311_request"),
    re_path(r"^open311/v2/tokens/(?P<token>[\w-]{1,24})" + _F, open311.token_detail,
            name="open311_token"),
]

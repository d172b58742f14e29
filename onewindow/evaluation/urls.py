from django.urls import URLPattern, path

from onewindow.evaluation import tablet, views

app_name = "evaluation"

urlpatterns: list[URLPattern] = [
    path("evaluate/case/<str:case_no>/", views.rate_case, name="rate_case"),
    path("evaluate/ticket/<str:token>/", views.rate_ticket, name="rate_ticket"),
    path("evaluate/i/<str:token>/", views.rate_invitation, name="rate_invitation"),
    path("reviews/", views.reviews, name="reviews"),
    # The hall's tablet at each window (评价器): the page path + "state.json" is its poll URL.
    path("hall/<int:centre_id>/tablet/<int:window_id>/", tablet.tablet, name="tablet"),
    path("hall/<int:centre_id>/tablet/<int:window_id>/state.json", tablet.tablet_state,
         name="tablet_state"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/f/<str:token>/", views.complaint_follow, name="complaint_follow"),
    path("workbench/evaluation/follow-ups/", views.follow_up_inbox, name="follow_ups"),
    path("workbench/evaluation/follow-ups/<int:pk>/", views.follow_up_detail,
         name="follow_up"),
    path("workbench/evaluation/appeals/", views.appeals, name="appeals"),
    path("workbench/evaluation/complaints/", views.complaints, name="complaints"),
    path("workbench/evaluation/complaints/new/", views.complaint_desk, name="complaint_desk"),
    path("workbench/evaluation/complaints/<str:number>/", views.complaint_detail,
         name="complaint"),
    path("workbench/evaluation/statements/", views.statements, name="statements"),
    path("workbench/evaluation/statements/<str:number>/", views.statement_detail,
         name="statement"),
]

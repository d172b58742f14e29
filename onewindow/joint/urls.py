from django.urls import URLPattern, path

from onewindow.joint import views

app_name = "joint"

urlpatterns: list[URLPattern] = [
    path("workbench/joint/", views.inbox, name="inbox"),
    path("workbench/joint/cases/<str:case_no>/", views.case_joint, name="case"),
    path("workbench/joint/inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("workbench/joint/inspections/<int:pk>/photos/<int:photo_pk>/",
         views.inspection_photo, name="photo"),
    path("workbench/joint/inspections/<int:pk>/record.pdf", views.inspection_record,
         name="inspection_record"),
    path("workbench/joint/meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("workbench/joint/meetings/<int:pk>/minutes.pdf", views.meeting_record,
         name="meeting_record"),
]

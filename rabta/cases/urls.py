from django.urls import path

from rabta.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.inbox, name="inbox"),
    path("cases/stream/", views.stream, name="stream"),
    path("cases/bulk/", views.inbox_bulk, name="bulk"),
    path("cases/<str:ref>/", views.case_detail, name="detail"),
    path("cases/<str:ref>/acknowledge/", views.case_acknowledge, name="acknowledge"),
    path("cases/<str:ref>/action/", views.case_action, name="action"),
    path("cases/<str:ref>/reply/", views.case_reply, name="reply"),
    path("cases/<str:ref>/drafts/<int:draft_id>/approve/", views.case_reply_approve, name="reply_approve"),
    path("cases/<str:ref>/drafts/<int:draft_id>/return/", views.case_reply_return, name="reply_return"),
    path("cases/<str:ref>/rti-extension/", views.case_rti_extend, name="rti_extend"),
    path("cases/<str:ref>/close/", views.case_close, name="close"),
    path("cases/<str:ref>/reopen/", views.case_reopen, name="reopen"),
    path("cases/<str:ref>/correct/", views.case_correct, name="correct"),
    path("cases/<str:ref>/forward/", views.case_forward, name="forward"),
    path("cases/<str:ref>/assign/", views.case_assign, name="assign"),
    path("cases/<str:ref>/note/", views.case_note, name="note"),
    path("cases/<str:ref>/merge/", views.case_merge, name="merge"),
    path("cases/<str:ref>/unmerge/", views.case_unmerge, name="unmerge"),
    path("m/", views.mobile_list, name="mobile_list"),
    path("m/cases/<str:ref>/", views.mobile_case, name="mobile_case"),
]

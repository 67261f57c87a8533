from django.urls import path

from rabta.portal import views

app_name = "portal"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("track/", views.track, name="track"),
    path("track/<str:ref>/<str:code>/", views.status, name="status"),
]

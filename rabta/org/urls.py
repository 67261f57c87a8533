from django.urls import path

from rabta.org import views

app_name = "org"
urlpatterns = [
    path("", views.district_list, name="district_list"),
    path("districts/<slug:slug>/", views.district_detail, name="district_detail"),
    path("stations/<int:pk>/", views.station_detail, name="station_detail"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/holder/", views.post_assign_holder, name="post_assign_holder"),
]

from django.urls import path

from rabta.intake import views

app_name = "intake"
urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/link/", views.contact_link, name="contact_link"),
    path("contacts/<int:pk>/unlink/", views.contact_unlink, name="contact_unlink"),
]

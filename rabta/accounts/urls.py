from django.urls import path

from rabta.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/setup/", views.twofactor_setup, name="twofactor_setup"),
]

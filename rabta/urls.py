from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from rabta.core.views import health
from rabta.intake.hooks import receive

admin.site.site_header = "Rabta administration"
admin.site.site_title = "Rabta"

urlpatterns = [
    path("health", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("hooks/<str:kind>/<slug:slug>", receive, name="hook"),
    path("accounts/", include("rabta.accounts.urls")),
    # The admin signs in through Rabta's two-factor log-in, never its own password-only form.
    path("admin/login/", RedirectView.as_view(url="/accounts/login/?next=/admin/", query_string=False)),
    path("admin/", admin.site.urls),
    path("org/", include("rabta.org.urls")),
    path("", include("rabta.portal.urls")),
    path("", include("rabta.cases.urls")),
    path("", include("rabta.intake.urls")),
    path("", include("rabta.core.urls")),
]

handler403 = "rabta.core.errors.forbidden"
handler404 = "rabta.core.errors.not_found"

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from memorial import views

handler404 = "memorial.views.page_not_found"
handler500 = "memorial.views.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("media/<path:path>", views.media, name="media"),
]

urlpatterns += i18n_patterns(
    path("", views.HomeView.as_view(), name="home"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("", include("victims.urls")),
)

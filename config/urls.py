from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from contributions import candles, proofofwork
from memorial import health, twofactor, views
from victims.api.endpoints import api
from victims.caching import public_page
from victims.embeds import counter, oembed, person_card
from victims.feeds import registry_feed
from victims.opendata import OpenDataView, dataset_file
from victims.sitemaps import sitemap_index, sitemap_section, sitemaps
from victims.views import robots_txt

handler404 = "memorial.views.page_not_found"
handler500 = "memorial.views.server_error"
handler403 = "memorial.forbidden.permission_denied"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/two-factor/setup/", twofactor.setup, name="two_factor_setup"),
    path("admin/two-factor/", twofactor.verify, name="two_factor_verify"),
    path("admin/", admin.site.urls),
    path("staff/", include("victims.staff_urls")),
    path("media/<path:path>", views.media, name="media"),
    # An index of sections, each paged (sitemap-victims.xml?p=2): the protocol allows 50,000 URLs a file.
    path("sitemap.xml", public_page(sitemap_index), {"sitemaps": sitemaps}, name="django.contrib.sitemaps.views.index"),
    path(
        "sitemap-<section>.xml",
        public_page(sitemap_section),
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("candles/<uuid:person>/", candles.candles, name="candles"),
    # Outside the language prefix: nginx keeps /az/, /en/ and /ru/ pages, and a challenge is for one visitor.
    path("altcha/challenge/", proofofwork.challenge_view, name="altcha_challenge"),
    path("api/v1/", api.urls),
    path("oembed", oembed, name="oembed"),
    path("data/files/<str:name>", dataset_file, name="dataset_file"),
]

urlpatterns += i18n_patterns(
    path("", views.HomeView.as_view(), name="home"),
    path(_("about/"), views.AboutView.as_view(), name="about"),
    path(_("methodology/"), views.MethodologyView.as_view(), name="methodology"),
    # The about page's address before it was translated: old links still arrive.
    path("about/", RedirectView.as_view(pattern_name="about", permanent=True)),
    path("feed/", registry_feed, name="feed"),
    path(_("data/"), OpenDataView.as_view(), name="open_data"),
    path("embed/person/<slug:slug>/", person_card, name="embed_person"),
    path("embed/counter/", counter, name="embed_counter"),
    path("", include("victims.urls")),
    path("", include("contributions.urls")),
)

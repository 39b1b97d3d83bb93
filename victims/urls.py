from django.urls import path
from django.utils.translation import gettext_lazy as _

from victims import views

app_name = "victims"

urlpatterns = [
    path(_("victims/"), views.VictimListView.as_view(), name="victim_list"),
    path(_("victims/<slug:slug>/"), views.VictimDetailView.as_view(), name="victim_detail"),
    path(_("events/"), views.EventListView.as_view(), name="event_list"),
    path(_("events/<slug:slug>/"), views.EventDetailView.as_view(), name="event_detail"),
    path(_("sources/"), views.SourceListView.as_view(), name="source_list"),
    path(_("statistics/"), views.StatisticsView.as_view(), name="statistics"),
]

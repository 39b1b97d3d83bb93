"""Public pages of the registry. Only published records are ever shown."""

from django.views.generic import DetailView, ListView, TemplateView

from victims.models import Event, Source, Victim


class VictimListView(ListView):
    template_name = "victims/victim_list.html"
    context_object_name = "victims"
    paginate_by = 60

    def get_queryset(self):
        queryset = Victim.objects.published().for_list()
        query = self.request.GET.get("q", "").strip()
        return queryset.search(query) if query else queryset


class VictimDetailView(DetailView):
    template_name = "victims/victim_detail.html"
    context_object_name = "victim"

    def get_queryset(self):
        return Victim.objects.published().for_detail()


class EventListView(ListView):
    template_name = "victims/event_list.html"
    context_object_name = "events"

    def get_queryset(self):
        return Event.objects.published().for_timeline()


class EventDetailView(DetailView):
    template_name = "victims/event_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return Event.objects.published().select_related("place")


class SourceListView(ListView):
    template_name = "victims/source_list.html"
    context_object_name = "sources"

    def get_queryset(self):
        return Source.objects.with_public_citation_counts()


class StatisticsView(TemplateView):
    template_name = "victims/statistics.html"

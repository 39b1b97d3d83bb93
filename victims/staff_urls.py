from django.urls import path

from victims import opendata, staff_views

app_name = "staff"

urlpatterns = [
    path("export/", staff_views.export_view, name="export"),
    path("import/", staff_views.import_view, name="import"),
    path("import/preview/", staff_views.import_preview_view, name="import_preview"),
    path("dataset/", opendata.dataset_publish_view, name="dataset_publish"),
]

from django.urls import path

from victims import opendata, staff_duplicates, staff_quality, staff_views

app_name = "staff"

urlpatterns = [
    path("export/", staff_views.export_view, name="export"),
    path("import/", staff_views.import_view, name="import"),
    path("import/preview/", staff_views.import_preview_view, name="import_preview"),
    path("dataset/", opendata.dataset_publish_view, name="dataset_publish"),
    path("duplicates/", staff_duplicates.duplicates_view, name="duplicates"),
    path("duplicates/<int:pk>/different/", staff_duplicates.duplicate_different_view, name="duplicate_different"),
    path("duplicates/<int:pk>/merge/", staff_duplicates.duplicate_merge_view, name="duplicate_merge"),
    path("quality/", staff_quality.quality_view, name="quality"),
]

"""Translatable fields (django-modeltranslation). History is registered here, after the
translation fields exist, so that historical records keep every language."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from victims.models import Citation, Event, NameVariant, Photo, Place, ReportedFigure, Source, Victim


@register(Victim)
class VictimTranslationOptions(TranslationOptions):
    fields = ("circumstances", "occupation", "biography")
    required_languages = ()


@register(Event)
class EventTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "description", "translated_on")
    required_languages = ()


@register(Place)
class PlaceTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = ()


@register(Source)
class SourceTranslationOptions(TranslationOptions):
    fields = ("notes", "translated_on")
    required_languages = ()


@register(Photo)
class PhotoTranslationOptions(TranslationOptions):
    fields = ("alt_text", "caption")
    required_languages = ()


@register(ReportedFigure)
class ReportedFigureTranslationOptions(TranslationOptions):
    fields = ("value_text", "attribution", "note", "translated_on")
    required_languages = ()


simple_history.register(Victim, excluded_fields=["search_document"])
simple_history.register(Event, m2m_fields=["victims"])
for model in (NameVariant, Place, Source, Citation, Photo, ReportedFigure):
    simple_history.register(model)

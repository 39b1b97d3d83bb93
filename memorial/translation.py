"""Translatable fields (django-modeltranslation). History is registered here, after the
translation fields exist, so that historical records keep every language."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from memorial.models import Statement


@register(Statement)
class StatementTranslationOptions(TranslationOptions):
    fields = ("title", "subtitle", "body", "occasion", "translated_on")
    required_languages = ()


simple_history.register(Statement)

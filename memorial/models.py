from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.partialdates import Precision, partial_date_constraints


class StatementQuerySet(models.QuerySet):
    def current(self) -> "Statement | None":
        """The statement the home page is built around, if any."""
        return self.filter(is_current=True).first()


class Statement(models.Model):
    """The commemorative statement; the title, subtitle and body are translatable."""

    title = models.CharField(_("title"), max_length=300)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Paragraphs are separated by an empty line; single line breaks inside a paragraph are "
            "joined when the statement is shown."
        ),
    )
    written_date = models.DateField(_("date written"), null=True, blank=True)
    written_precision = models.CharField(
        _("precision of the date written"), max_length=5, choices=Precision.choices, blank=True
    )
    occasion = models.CharField(
        _("occasion"), max_length=200, blank=True, help_text=_("What the statement was written for.")
    )
    original_language = models.CharField(
        _("original language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language the statement was written in; other languages are translations."),
    )
    translated_on = models.DateField(
        _("date translated"),
        null=True,
        blank=True,
        help_text=_("When this language's text was translated from the original; empty for the original."),
    )
    is_current = models.BooleanField(
        _("shown on the home page"), default=True, help_text=_("Only one statement can be shown at a time.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_statement"),
            *partial_date_constraints("statement", "written"),
        ]

    def __str__(self) -> str:
        return self.title

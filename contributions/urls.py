from django.urls import path
from django.utils.translation import gettext_lazy as _

from contributions import views

app_name = "contributions"

urlpatterns = [
    path(_("contribute/testimony/"), views.TestimonyView.as_view(), name="testimony"),
    path(_("contribute/correction/<slug:slug>/"), views.CorrectionView.as_view(), name="correction"),
    path(_("contribute/photo/<slug:slug>/"), views.PhotoView.as_view(), name="photo"),
    path(_("contribute/candle/<slug:slug>/"), views.CandleMessageView.as_view(), name="candle_message"),
    path(_("contribute/thanks/"), views.ThanksView.as_view(), name="thanks"),
    path(_("contribute/privacy/"), views.PrivacyView.as_view(), name="privacy"),
    path(_("contribute/withdraw/<str:token>/"), views.withdraw, name="withdraw"),
]

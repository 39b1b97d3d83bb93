"""Remove a staff member's two-factor devices (authenticator and backup codes) so that they enrol
again at their next sign-in: for a lost phone when no superuser can reach the admin.

Run it only after checking who is asking; the person still needs their password.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Delete a user's two-factor devices; they set up a new one at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be removed; remove nothing.")

    @transaction.atomic
    def handle(self, *args, username: str, dry_run: bool = False, verbosity: int = 1, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as error:
            raise CommandError(f"No user {username!r}.") from error
        devices = [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]
        if dry_run:
            self.stdout.write(f"Would remove {len(devices)} two-factor device(s) of {username!r}.")
            return
        for device in devices:
            device.delete()
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Removed {len(devices)} two-factor device(s) of {username!r}; they enrol again at their next sign-in."
                )
            )

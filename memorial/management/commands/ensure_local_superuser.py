"""Create a local superuser on first run and print its credentials once.

The password is random and shown only when the account is created; it is never stored in the
repository. Refuses to run in production.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse


class Command(BaseCommand):
    help = "Create the local 'admin' superuser with a random password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; create nothing.")
        parser.add_argument(
            "--site-url", help="Where the site is served (make run passes its HOST and PORT); default SITE_URL."
        )

    def handle(self, *args, username: str, dry_run: bool = False, verbosity: int = 1, site_url=None, **options):
        if settings.PRODUCTION:
            raise CommandError("Refusing to create a superuser with a printed password in production.")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            if verbosity >= 1:
                self.stdout.write(
                    "A superuser exists already; its password was printed when it was created. "
                    "Forgot it? python manage.py changepassword admin"
                )
            return
        if dry_run:
            self.stdout.write(f"Would create superuser {username!r}.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        admin_url = (site_url or settings.SITE_URL).rstrip("/") + reverse("admin:index")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the local superuser. Log in at {admin_url} as "
                f"{username!r} with password {password!r} (shown only this once)."
            )
        )

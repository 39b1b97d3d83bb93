"""A person card embeds in a page of another site (a second local server on another port); the
person's own page does not."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import VictimFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other_site():
    """A second web server on its own free port: another origin that embeds the memorial."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield pages, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_person_card_embeds_on_another_origin_and_the_page_itself_does_not(live_server, page, other_site,
                                                                             screenshot, settings):  # fmt: skip
    settings.SITE_URL = live_server.url
    person = VictimFactory(family_name="Yerləşdirilənov", given_name="Sınaq")
    pages, origin = other_site
    assert not origin.startswith(live_server.url)
    card, counter = f"{live_server.url}/en/embed/person/{person.slug}/", f"{live_server.url}/en/embed/counter/"
    pages["/"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Another site</title></head><body>"
        "<h1>Another memorial site</h1>"
        f"<iframe id='card' src='{card}' width='420' height='200' title='card'></iframe>"
        f"<iframe id='counter' src='{counter}' width='320' height='160' title='counter'></iframe>"
        f"<iframe id='page' src='{live_server.url}{person.get_absolute_url()}' width='420' height='200' "
        "title='page'></iframe></body></html>"
    )
    page.goto(origin + "/")
    card_frame = page.frame_locator("#card")
    card_frame.get_by_role("heading", name="Sınaq Yerləşdirilənov").wait_for()
    link = card_frame.get_by_role("link", name="Sınaq Yerləşdirilənov")
    assert link.get_attribute("href") == f"{live_server.url}{person.get_absolute_url()}"
    page.frame_locator("#counter").locator(".embed-number").wait_for()
    assert page.frame_locator("#counter").locator(".embed-number").inner_text() == "1"
    page.wait_for_load_state("networkidle")
    # The person's own page refuses to be framed (frame-ancestors 'none'): its frame stays empty.
    framed_page = page.locator("#page").element_handle().content_frame()
    assert framed_page is not None
    assert "Yerləşdirilənov" not in framed_page.content()
    screenshot(page, "embed-on-another-origin", full_page=False)

"""Site-wide pages: the layout, languages in URLs, the 404 page."""

import pytest


@pytest.mark.django_db
def test_root_redirects_to_a_language_prefix(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302
    assert response["Location"] == "/ru/"


@pytest.mark.django_db
def test_unknown_url_gets_the_sites_404_page(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_layout_has_landmarks_and_a_skip_link(client):
    html = client.get("/en/").content.decode()
    for fragment in ('<a class="skip-link" href="#main">', "<header", '<main id="main"', "<footer", "<nav"):
        assert fragment in html


@pytest.mark.django_db
def test_about_page(client):
    response = client.get("/en/about/")
    assert response.status_code == 200
    assert "How records are researched" in response.content.decode()


def test_500_page_needs_no_database(rf):
    from memorial.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "temporarily unavailable" in response.content.decode()

"""The Azerbaijani and Russian interface on a phone: longer words still fit, nothing is cut off."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import PHONE
from tests.public_fixtures import public_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Elements whose own content is wider than their box (text cut off or spilling out of a button,
# a link, a label or a table cell), ignoring boxes meant to scroll and visually hidden text.
OVERFLOWING = """() => {
  const selector = "h1, h2, h3, p, a, button, label, summary, select, th, td, dt, dd, li, legend, .site-title";
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (el.closest(".visually-hidden, .chart-table-wrap, .table-scroll, svg")) continue;
    if (["auto", "scroll"].includes(style.overflowX)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0) continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 || rect.right > window.innerWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 60)}`);
    }
  }
  // A select shows its chosen option cut off when the text is wider than the box (less the arrow).
  const context = document.createElement("canvas").getContext("2d");
  for (const select of document.querySelectorAll("select")) {
    const style = getComputedStyle(select);
    if (style.display === "none" || select.clientWidth === 0) continue;
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
    for (const option of select.options) {
      if (context.measureText(option.text).width > room) {
        found.push(`option of #${select.id}: ${option.text}`);
      }
    }
  }
  return found;
}"""


def pages(records, language: str) -> dict[str, str]:
    with translation.override(language):
        registry = reverse("victims:victim_list")
        return {
            "home": reverse("home"),
            "registry": registry,
            "search": f"{registry}?q=mammadzade",
            "person": reverse("victims:victim_detail", args=[records["person"].slug]),
            "timeline": reverse("victims:event_list"),
            "event": reverse("victims:event_detail", args=[records["event"].slug]),
            "sources": reverse("victims:source_list"),
            "statistics": reverse("victims:statistics"),
            "about": reverse("about"),
        }


@pytest.mark.parametrize("width", [320, PHONE["width"]])
@pytest.mark.parametrize("language", ["az", "ru"])
def test_translated_pages_fit_a_phone(page, live_server, screenshot, language, width):
    records = public_records()
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    problems = {}
    for name, url in pages(records, language).items():
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        assert page.locator("html").get_attribute("lang") == language
        if name == "registry":
            page.locator(".filters summary").click()  # the filters' labels and options too
        screenshot(page, f"translated-{language}-{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
        found = page.evaluate(OVERFLOWING)
        if found:
            problems[name] = found
    assert problems == {}

"""A crawler of the public site, for the tests that prove nothing unpublished leaks.

It knows no list of pages: it starts from the home page and ``robots.txt`` and follows what a
visitor or a robot can follow, as the answers arrive: links and sources in HTML (``href``, ``src``,
``srcset``, ``<meta content>``, ``<link>`` alternates, oEmbed and feed links alike, and any ``data-*``
attribute holding a path, which a page's script fetches: the candles' endpoint), every value of
every ``GET`` form (each option of each select, each search term in each text box), ``Location``
and ``Link`` headers, absolute URLs of this site in any text (JSON-LD, sitemaps, feeds, JSON
answers, ``robots.txt``) and relative ones among a JSON answer's strings. It honours
``robots.txt``'s ``Disallow`` lines (the admin is not public), skips static files and other hosts,
and is bounded: at most ``max_pages`` answers, ``max_depth`` links from a start, and query
strings with at most one filter besides the page number (each filter value is asked once, in the
first language that links to it: the letter links alone, combined with every other filter in
every language, would make thousands of pages that show nothing new).
"""

from __future__ import annotations

import html
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation

HOST = "testserver"
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/atom+xml", "application/rss+xml",
              "application/ld+json", "application/javascript", "application/geo+json", "+json", "+xml")  # fmt: skip
PAGE_PARAMETERS = {"page", "p", "cursor", "offset", "limit"}
SEARCH_PARAMETERS = {"q", "query", "search"}
_ABSOLUTE = re.compile(rf"https?://{re.escape(HOST)}(?::\d+)?(/[^\s\"'<>\\`]*)?")
_XML_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""")
_LINK_HEADER = re.compile(r"<([^>]+)>")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    depth: int
    referrer: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def is_text(self) -> bool:
        kind = self.content_type
        return bool(kind) and any(kind.startswith(t) or kind.endswith(t) for t in TEXT_TYPES)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace") if self.is_text else ""

    def readable_forms(self) -> list[str]:
        """The body and headers as they can be read: also with HTML entities, JSON ``\\u`` escapes
        and percent-encoding undone, so that an encoded name is found too."""
        raw = self.text + "\n" + "\n".join(f"{name}: {value}" for name, value in self.headers.items())
        forms = {raw, html.unescape(raw), _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw)}
        forms |= {unquote(form) for form in list(forms)}
        return list(forms)


@dataclass
class Form:
    action: str
    selects: dict[str, list[str]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    fixed: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    URL_ATTRIBUTES = {"href", "src", "action", "poster", "data", "cite", "content", "data-src", "data-href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            a_url = name in self.URL_ATTRIBUTES and value and (name != "content" or value.startswith(("/", "http")))
            fetched_by_script = name.startswith("data-") and value.startswith("/") and not value.startswith("//")
            if a_url or fetched_by_script:
                self.links.append(value)
            elif name in ("srcset", "imagesrcset"):
                self.links.extend(part.split()[0] for part in value.split(",") if part.strip())
        if tag == "form":
            method = values.get("method", "get").lower()
            self._form = Form(action=values.get("action", "")) if method == "get" else None
            if self._form is not None:
                self.forms.append(self._form)
        elif self._form is not None and (name := values.get("name")):
            if tag == "select":
                self._select = name
                self._form.selects.setdefault(name, [])
            elif tag == "input":
                kind = values.get("type", "text").lower()
                if kind == "hidden":
                    self._form.fixed[name] = values.get("value", "")
                elif kind in ("text", "search"):
                    self._form.texts.append(name)
                elif kind in ("checkbox", "radio"):
                    self._form.selects.setdefault(name, []).append(values.get("value", "on"))
        if tag == "option" and self._form is not None and self._select:
            self._form.selects[self._select].append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _json_strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


class Crawler:
    """Crawl the site through the test client, in process, as an anonymous visitor."""

    def __init__(self, client, *, search_terms: Iterable[str] = (), max_pages: int = 1500, max_depth: int = 8):
        self.client = client
        self.search_terms = list(dict.fromkeys(search_terms))
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.fetched: dict[str, Fetched] = {}
        self.disallowed: list[str] = []
        self.skipped_combinations = 0
        self._signatures: set = set()
        self._seen: set[str] = set()
        self._canonical: dict[tuple[str, str], str | None] = {}
        self._expanded: dict = {}  # searches and form submissions, the same on many pages
        self.languages = [code for code, _name in settings.LANGUAGES]

    # --- URLs ---------------------------------------------------------------------------------

    def canonical(self, link: str, base: str) -> str | None:
        """The URL to fetch for ``link`` found on ``base``, or None when it is not to be followed."""
        key = (link, "" if link.startswith(("/", "http")) else base)  # the same links are on every page
        if key not in self._canonical:
            self._canonical[key] = self._canonical_uncached(link, base)
        return self._canonical[key]

    def _canonical_uncached(self, link: str, base: str) -> str | None:
        link = html.unescape(link.strip())
        if not link or link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            return None
        parts = urlsplit(urljoin(f"http://{HOST}{base}", link))  # base: a path with its query
        if parts.scheme not in ("http", "https") or parts.hostname != HOST:
            return None
        path = parts.path or "/"
        if path.startswith(settings.STATIC_URL) or any(path.startswith(prefix) for prefix in self.disallowed):
            return None
        query = sorted((name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if value)
        return urlunsplit(("", "", path, urlencode(query), ""))

    def _signature(self, url: str):
        """Query URLs in different languages that ask the same view the same thing are one."""
        parts = urlsplit(url)
        if not parts.query:
            return url
        prefix = parts.path.strip("/").split("/", 1)[0]
        language = prefix if prefix in self.languages else settings.LANGUAGE_CODE
        try:
            with translation.override(language):
                match = resolve(parts.path)
        except Resolver404:
            return url
        return (match.view_name, tuple(sorted(match.kwargs.items())), parts.query)

    def _wanted(self, url: str) -> bool:
        if url in self._seen:
            return False
        self._seen.add(url)
        filters = [name for name, _value in parse_qsl(urlsplit(url).query) if name not in PAGE_PARAMETERS]
        if len(filters) > 1:
            self.skipped_combinations += 1
            return False
        signature = self._signature(url)
        if signature in self._signatures:
            return False
        self._signatures.add(signature)
        return True

    # --- Links in an answer ---------------------------------------------------------------------

    def links(self, page: Fetched) -> list[str]:
        found: list[str] = []
        if location := page.headers.get("Location"):
            found.append(location)
        if link_header := page.headers.get("Link"):
            found.extend(_LINK_HEADER.findall(link_header))
        text = page.text
        if not text:
            return found
        found.extend(match.group(0) for match in _ABSOLUTE.finditer(text))
        kind = page.content_type
        if kind == "text/html":
            parser = _PageParser()
            parser.feed(text)
            found.extend(parser.links)
            for form in parser.forms:
                found.extend(self._submissions(form))
        elif "xml" in kind:
            found.extend(_XML_HREF.findall(text))
        elif "json" in kind:
            try:
                document = json.loads(text)
            except ValueError:
                document = None
            found.extend(s for s in _json_strings(document) if s.startswith("/") and not s.startswith("//"))
        if urlsplit(page.url).path == "/robots.txt":
            for line in text.splitlines():
                name, _sep, value = line.partition(":")
                if name.strip().lower() == "disallow" and value.strip():
                    self.disallowed.append(value.strip())
                elif name.strip().lower() in ("allow", "sitemap") and value.strip():
                    found.append(value.strip())
        return found

    def _searches(self, url: str) -> list[str]:
        """A URL that searches (``?q=``, found in a link or a JSON answer): the same search for each term."""
        if url not in self._expanded:
            parts = urlsplit(url)
            params = parse_qsl(parts.query)
            searches = len(params) == 1 and params[0][0] in SEARCH_PARAMETERS
            self._expanded[url] = [
                urlunsplit(("", "", parts.path, urlencode({params[0][0]: term}), "")) for term in self.search_terms
            ] if searches else []  # fmt: skip
        return self._expanded[url]

    def _submissions(self, form: Form) -> list[str]:
        """Every value of each field of a GET form, one field at a time (with its hidden fields)."""
        key = repr(form)
        if key not in self._expanded:
            self._expanded[key] = self._submissions_uncached(form)
        return self._expanded[key]

    def _submissions_uncached(self, form: Form) -> list[str]:
        urls = [form.action + "?" + urlencode(form.fixed)]
        for name, values in form.selects.items():
            urls.extend(form.action + "?" + urlencode({**form.fixed, name: value}) for value in values)
        for name in form.texts:
            urls.extend(form.action + "?" + urlencode({**form.fixed, name: term}) for term in self.search_terms)
        return urls

    # --- The crawl --------------------------------------------------------------------------------

    def fetch(self, url: str, *, depth: int = 0, referrer: str = "") -> Fetched:
        response = self.client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        # (Reading a streamed answer to its end closes it, as the test client arranges.)
        return Fetched(url, response.status_code, dict(response.items()), body, depth, referrer)

    def crawl(self, starts: Iterable[str]) -> dict[str, Fetched]:
        queue: deque[tuple[str, int, str]] = deque()
        for start in starts:
            url = self.canonical(start, "/")
            if url and self._wanted(url):
                queue.append((url, 0, ""))
        while queue:
            url, depth, referrer = queue.popleft()
            if len(self.fetched) >= self.max_pages:
                raise AssertionError(
                    f"The crawl reached its bound of {self.max_pages} pages with {len(queue) + 1} still to fetch: "
                    "the public site grew. Raise max_pages (the test must see every public page) or "
                    "narrow what the crawler follows."
                )
            page = self.fetch(url, depth=depth, referrer=referrer)
            self.fetched[url] = page
            if depth >= self.max_depth:
                continue
            for link in self.links(page):
                target = self.canonical(link, url)
                for candidate in (target, *self._searches(target)) if target else ():
                    if self._wanted(candidate):
                        queue.append((candidate, depth + 1, url))
        return self.fetched

/* The ALTCHA widget on the visitors' forms (static/vendor/altcha, the npm package's "external"
   build: no inline style, no inline worker, so it runs under the site's strict CSP). This script
   gives it the proof-of-work worker from the site's own static files and its texts in the page's
   language (data-strings, from the site's translations). It runs after the widget's module. */
const registry = globalThis.$altcha;
const widgets = document.querySelectorAll("altcha-widget[data-strings]");
if (registry && widgets.length) {
  const worker = widgets[0].getAttribute("data-worker");
  registry.algorithms.set("PBKDF2/SHA-256", () => new Worker(worker));
  for (const widget of widgets) {
    const language = widget.getAttribute("language") || document.documentElement.lang;
    const strings = JSON.parse(widget.getAttribute("data-strings"));
    registry.i18n.set(language, Object.assign({}, registry.i18n.get("en") || {}, strings));
  }
}

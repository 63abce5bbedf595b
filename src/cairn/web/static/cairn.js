// cairn's only script: progressive touches on server-rendered pages (each page works without it).
"use strict";
document.documentElement.classList.add("js");

// Times: the server writes UTC; show them in the reader's own zone (relative ones stay relative).
function localTimes(root) {
  const absolute = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "short"});
  const exact = new Intl.DateTimeFormat(undefined, {dateStyle: "full", timeStyle: "long"});
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) continue;
    el.title = exact.format(when);
    if (!el.hasAttribute("data-relative")) el.textContent = absolute.format(when);
  }
}

// Annotation filters: narrow the list in place, without reloading the commit's page.
function annotationFilters(form) {
  const section = form.closest("section");
  const count = section.querySelector("[data-annotation-count]");
  const none = section.querySelector("[data-annotations-none]");
  function chosen(name) {
    return new Set([...form.querySelectorAll(`input[name="${name}"]:checked`)].map(i => i.value));
  }
  function apply() {
    const reports = chosen("report"), severities = chosen("severity"), types = chosen("type");
    let shown = 0;
    for (const li of section.querySelectorAll("li[data-severity]")) {
      const ok = (!reports.size || reports.has(li.dataset.report)) &&
        (!severities.size || severities.has(li.dataset.severity)) && (!types.size || types.has(li.dataset.type));
      li.hidden = !ok;
      if (ok) shown++;
    }
    for (const file of section.querySelectorAll("[data-file]")) {
      file.hidden = !file.querySelector("li:not([hidden])");
    }
    for (const group of section.querySelectorAll("[data-report-group]")) {
      group.hidden = !group.querySelector("li:not([hidden])");
    }
    if (count) count.textContent = shown;
    if (none) none.hidden = shown > 0;
    const query = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", `${location.pathname}${query.size ? "?" + query : ""}#annotations`);
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", event => { event.preventDefault(); apply(); });
}

// Matcher pickers: show the one input the chosen matcher type uses.
function matcherPicker(fieldset) {
  const select = fieldset.querySelector("[data-matcher-type]");
  function apply() {
    for (const span of fieldset.querySelectorAll("[data-matcher-for]")) {
      const on = span.dataset.matcherFor.split(" ").includes(select.value);
      span.hidden = !on;
      for (const input of span.querySelectorAll("input, select")) input.disabled = !on;
    }
  }
  select.addEventListener("change", apply);
  apply();
}

// Copy buttons (the new token's secret).
function copyButton(button) {
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    field.select();
    try { await navigator.clipboard.writeText(field.value); } catch (e) { document.execCommand("copy"); }
    button.textContent = "Copied";
  });
}

// Live pages: a page whose body names its event stream follows it, and when results arrive it renders itself
// again in place (the same URL, fetched; its <main> swapped), keeping the reader's scroll and filters.
const EVENTS = ["build:status_set", "build:status_deleted", "insights:report_set", "insights:report_deleted",
  "insights:annotations_added", "insights:annotations_deleted", "deployment:set", "deployment:deleted"];

function livePage(url) {
  const marker = document.querySelector("[data-live-status]");
  const source = new EventSource(url);
  let waiting = null;
  function say(text, state) {
    if (!marker) return;
    marker.textContent = text;
    marker.dataset.state = state;
  }
  async function refresh() {
    waiting = null;
    const response = await fetch(location.href, {headers: {"Accept": "text/html"}, credentials: "same-origin"});
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("main");
    const main = document.querySelector("main");
    if (!fresh || !main) return;
    main.replaceChildren(...document.adoptNode(fresh).childNodes);
    enhance(main);
    say("Updated", "updated");
    setTimeout(() => say("Live", "live"), 3000);
  }
  for (const key of EVENTS) {
    // Events come in bursts (a linter's report, then its annotations): one render per burst.
    source.addEventListener(key, () => { if (!waiting) waiting = setTimeout(refresh, 300); });
  }
  source.addEventListener("open", () => say("Live", "live"));
  source.addEventListener("error", () => say("Reconnecting…", "reconnecting"));
}

function enhance(root) {
  localTimes(root);
  root.querySelectorAll("[data-annotation-filters]").forEach(annotationFilters);
  root.querySelectorAll("[data-matcher]").forEach(matcherPicker);
  root.querySelectorAll("button[data-copy]").forEach(copyButton);
}

document.addEventListener("DOMContentLoaded", () => {
  enhance(document);
  if (document.body.dataset.live && window.EventSource) livePage(document.body.dataset.live);
});

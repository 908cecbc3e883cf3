// Autocomplete over model names and aliases, and the "compare these two" picker.
// Served by modelvs itself; it fetches only /search.json from the same site.
"use strict";

let modelIndex = null;

async function loadIndex() {
  if (modelIndex === null) {
    const response = await fetch("/search.json");
    modelIndex = response.ok ? await response.json() : [];
  }
  return modelIndex;
}

function matches(index, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const scored = [];
  for (const entry of index) {
    const names = [entry.slug, entry.name, ...entry.aliases].map((n) => n.toLowerCase());
    const best = Math.min(...names.map((n) => (n.startsWith(needle) ? 0 : n.includes(needle) ? 1 : 9)));
    if (best < 9) scored.push([best, entry]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].name.localeCompare(y[1].name));
  return scored.slice(0, 8).map((pair) => pair[1]);
}

function renderList(list, entries, choose) {
  list.replaceChildren();
  entries.forEach((entry, position) => {
    const item = document.createElement("li");
    item.setAttribute("role", "option");
    item.id = `${list.id}-${position}`;
    item.textContent = entry.name;
    const org = document.createElement("small");
    org.textContent = entry.organization;
    item.append(org);
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(entry);
    });
    list.append(item);
  });
  list.hidden = entries.length === 0;
}

function attachAutocomplete(input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  const inPicker = input.closest("[data-pair-picker]") !== null;
  let entries = [];
  let active = -1;

  const choose = (entry) => {
    if (inPicker) {
      input.value = entry.slug;
      list.hidden = true;
    } else {
      window.location.href = `/models/${encodeURIComponent(entry.slug)}`;
    }
  };
  const highlight = (position) => {
    active = position;
    [...list.children].forEach((item, index) => item.setAttribute("aria-selected", String(index === position)));
  };

  input.removeAttribute("list");
  input.addEventListener("input", async () => {
    entries = matches(await loadIndex(), input.value);
    active = -1;
    renderList(list, entries, choose);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden || entries.length === 0) return;
    if (event.key === "ArrowDown") highlight(Math.min(active + 1, entries.length - 1));
    else if (event.key === "ArrowUp") highlight(Math.max(active - 1, 0));
    else if (event.key === "Enter" && active >= 0) choose(entries[active]);
    else if (event.key === "Escape") list.hidden = true;
    else return;
    event.preventDefault();
  });
  input.addEventListener("blur", () => { list.hidden = true; });
}

function resolveSlug(index, typed) {
  const wanted = typed.trim().toLowerCase();
  for (const entry of index) {
    const names = [entry.slug, entry.name, ...entry.aliases].map((n) => n.toLowerCase());
    if (names.includes(wanted)) return entry.slug;
  }
  return null;
}

function attachPicker(form) {
  loadIndex();
  form.addEventListener("submit", (event) => {
    const data = new FormData(form);
    const index = modelIndex || [];
    const a = resolveSlug(index, String(data.get("a") || ""));
    const b = resolveSlug(index, String(data.get("b") || ""));
    // Canonical pair URLs list slugs alphabetically; a static export has no server to
    // redirect other forms, so the URL is built here whenever both names are known.
    if (a && b && a !== b) {
      event.preventDefault();
      const [first, second] = [a, b].sort();
      window.location.href = `/compare/${first}-vs-${second}`;
    }
  });
}

document.querySelectorAll("input[data-autocomplete]").forEach(attachAutocomplete);
document.querySelectorAll("form[data-pair-picker]").forEach(attachPicker);

// Every page: the phone menu, the dark-mode toggle and the current page marked in the navigation.
(function () {
  "use strict";
  const header = document.querySelector("header.top");
  const menu = document.getElementById("nav-toggle");
  if (menu && header) {
    menu.addEventListener("click", () => {
      const open = header.classList.toggle("open");
      menu.setAttribute("aria-expanded", String(open));
    });
  }
  const toggle = document.getElementById("theme-toggle");
  function label() {
    if (!toggle) return;
    const dark = document.documentElement.dataset.theme === "dark";
    toggle.textContent = dark ? "☀ Light" : "☾ Dark";
    toggle.setAttribute("aria-pressed", String(dark));
  }
  if (toggle) toggle.addEventListener("click", () => { window.mltrainerTheme.toggle(); label(); });
  window.addEventListener("themechange", label);
  label();
  // The nav link of the section this page belongs to.
  const path = location.pathname;
  let best = null;
  for (const link of document.querySelectorAll("header nav a")) {
    const href = link.getAttribute("href");
    if ((href === "/" ? path === "/" || path.startsWith("/trials/") && !path.startsWith("/trials/new") : path.startsWith(href))
        && (!best || href.length > best.getAttribute("href").length)) best = link;
  }
  if (best) best.setAttribute("aria-current", "page");
})();

// A long <select data-searchable> (the model pickers) gets a search box that hides the options not matching.
(function () {
  "use strict";
  for (const select of document.querySelectorAll("select[data-searchable]")) {
    const search = document.createElement("input");
    search.type = "search";
    search.placeholder = "search " + select.dataset.searchable + "…";
    search.className = "select-search";
    search.setAttribute("aria-label", "Search the list of " + select.dataset.searchable);
    search.setAttribute("aria-controls", select.id);
    select.before(search);
    search.addEventListener("input", () => {
      const needle = search.value.trim().toLowerCase();
      let first = null;
      for (const option of select.options) {
        const match = !needle || option.text.toLowerCase().includes(needle) || option.value.includes(needle);
        option.hidden = !match && !option.selected;
        if (match && !first) first = option;
      }
      const chosen = select.selectedOptions[0];
      // A single choice follows the search: the first match replaces a chosen model that no longer matches.
      if (!select.multiple && needle && first && chosen && !chosen.text.toLowerCase().includes(needle)) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
})();

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

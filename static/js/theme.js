// Loaded in <head> before the page paints: dark or light from the remembered choice, else the system setting.
(function () {
  "use strict";
  const KEY = "mltrainer-theme";
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function apply(theme) {
    document.documentElement.dataset.theme = theme;
    window.dispatchEvent(new CustomEvent("themechange", { detail: theme }));
  }
  apply(stored() || (system.matches ? "dark" : "light"));
  system.addEventListener("change", (e) => { if (!stored()) apply(e.matches ? "dark" : "light"); });
  window.mltrainerTheme = {
    toggle() {
      const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: applies to this page only */ }
      apply(next);
    },
  };
})();

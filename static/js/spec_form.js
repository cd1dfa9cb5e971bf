// The spec sections of the new-trial and new-study forms (templates/trials/_spec_fields.html): only the chosen
// validation scheme's fields are shown, with what the scheme's results are; a volatility target has no strategy,
// so positions, costs and the benchmark are turned off. A field turned off is disabled, so it is not sent and the
// service's default applies (trials.vocabulary.SPEC_DEFAULTS); the server checks every value either way.
(function () {
  const scheme = document.querySelector("select[name=scheme]");
  const target = document.querySelector("select[name=target]");
  if (!scheme) return;
  const note = document.getElementById("scheme-note");
  const strategy = document.getElementById("section-strategy");
  const strategyNote = document.getElementById("strategy-note");
  const benchmark = document.querySelector("select[name=benchmark]");

  function show(input, on) {
    input.disabled = !on;
    input.closest(".field").hidden = !on;
  }

  function update() {
    for (const input of document.querySelectorAll("[data-schemes]")) {
      show(input, input.dataset.schemes.split(" ").includes(scheme.value));
    }
    if (note) note.textContent = scheme.value === "walk_forward" ? note.dataset.walkForward : note.dataset.purged;
    const volatility = target && target.value === "volatility";
    if (strategy) strategy.disabled = volatility;
    if (strategyNote) strategyNote.hidden = !volatility;
    if (benchmark) show(benchmark, !volatility);
  }

  scheme.addEventListener("change", update);
  if (target) target.addEventListener("change", update);
  update();
})();

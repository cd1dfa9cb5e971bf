// Trial table: "Compare selected" is enabled for 2 to 10 ticked trials and opens /compare/?ids=1,2,3.
(function () {
  "use strict";
  const form = document.getElementById("compare-form");
  if (!form) return;
  const button = document.getElementById("compare-button");
  const hint = document.getElementById("compare-hint");
  const boxes = () => Array.from(document.querySelectorAll("input[name=ids][form=compare-form]"));
  function update() {
    const n = boxes().filter((box) => box.checked).length;
    button.disabled = n < 2 || n > 10;
    hint.textContent = n === 0 ? "tick 2 to 10 trials" : n + " ticked" + (n > 10 ? " (10 at most)" : "");
  }
  document.addEventListener("change", (event) => { if (event.target.matches("input[name=ids]")) update(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = boxes().filter((box) => box.checked).map((box) => box.value);
    location.href = form.action + "?ids=" + ids.join(",");
  });
  update();
})();

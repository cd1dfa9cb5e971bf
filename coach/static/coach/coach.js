// Coach page: launch or dismiss a proposal through the REST API, and show that a message is on its way.
(function () {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;

  async function post(url) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: "{}",
    });
    let body = {};
    try { body = await response.json(); } catch (e) { /* an HTML error page */ }
    return { ok: response.ok, status: response.status, body: body };
  }

  function explain(result) {
    const body = result.body || {};
    if (body.compliance) return "Refused by compliance: " + body.compliance.map((v) => v.message).join("; ");
    if (body.detail) return body.detail;
    return "Failed (" + result.status + "): " + JSON.stringify(body);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-launch], button[data-dismiss]");
    if (!button) return;
    const card = button.closest(".proposal");
    const errorEl = card.querySelector("[data-role=error]");
    const statusEl = card.querySelector("[data-role=status]");
    const actions = card.querySelector("[data-role=actions]");
    errorEl.textContent = "";
    button.disabled = true;
    const launching = button.hasAttribute("data-launch");
    const result = await post(launching ? button.dataset.launch : button.dataset.dismiss);
    if (!result.ok) {
      errorEl.textContent = explain(result);
      button.disabled = false;
      return;
    }
    if (launching) {
      statusEl.textContent = "launched";
      statusEl.className = "status status-launched";
      const link = document.createElement("a");
      link.href = button.dataset.trialUrl.replace(/0\/$/, result.body.trial + "/");
      link.textContent = "Trial " + result.body.trial + " (" + result.body.status + ") →";
      actions.replaceChildren(link);
    } else {
      statusEl.textContent = "dismissed";
      statusEl.className = "status status-dismissed";
      actions.replaceChildren();
    }
  });

  const form = document.getElementById("message-form");
  if (form) {
    form.addEventListener("submit", () => {
      form.querySelector("button[type=submit]").disabled = true;
      form.querySelector("[data-role=waiting]").hidden = false;
    });
  }
})();

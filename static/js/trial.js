// Live trial page: follows /ws/trials/<id>/ and updates status, progress, folds and metrics in place.
(function () {
  const id = window.TRIAL_ID;
  const statusEl = document.getElementById("status");
  const bar = document.getElementById("bar");
  const text = document.getElementById("progress-text");
  const errorEl = document.getElementById("error");
  const cancel = document.getElementById("cancel");
  const finished = JSON.parse(document.getElementById("vocabulary").textContent).finished_statuses;
  const fmt = (v, d) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));

  function render(event) {
    statusEl.textContent = event.status;
    statusEl.className = "status status-" + event.status;
    const pct = Math.round((event.progress || 0) * 100);
    bar.value = event.progress || 0;
    text.textContent = pct + "% · fold " + (event.fold || 0) + " of " + (event.folds || "?");
    if (event.error) errorEl.textContent = event.error;
    if (event.type === "trial.progress" && event.fold_metrics) {
      const m = event.fold_metrics;
      const row = document.createElement("tr");
      row.innerHTML = "<td>" + event.fold + "</td><td colspan=3 class='muted'>live</td><td class='num'>" +
        fmt(m.sharpe, 3) + "</td><td class='num'>" + fmt(m.directional_accuracy, 3) + "</td>";
      document.querySelector("#folds tbody").appendChild(row);
    }
    if (event.metrics) {
      const body = document.querySelector("#metrics tbody");
      body.innerHTML = "";
      for (const [name, value] of Object.entries(event.metrics)) {
        const row = document.createElement("tr");
        row.innerHTML = "<th>" + name + "</th><td class='num'>" + fmt(value, 4) + "</td>";
        body.appendChild(row);
      }
    }
    if (finished.includes(event.status) && cancel) cancel.remove();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/trials/" + id + "/");
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      render(event);
      if (finished.includes(event.status)) {
        socket.close();
        if (event.type !== "trial.state") setTimeout(() => location.reload(), 600);
      }
    };
    socket.onclose = (e) => { if (!finished.includes(statusEl.textContent) && e.code !== 4404) setTimeout(connect, 2000); };
  }

  if (cancel) {
    cancel.addEventListener("click", () => {
      const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(cancel.dataset.url, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then((r) => r.json()).then(render);
    });
  }
  connect();
})();

// Live trial page: follows /ws/trials/<id>/ and updates the status, progress bar and fold rows in place. It shows
// when the socket is lost and reconnects (the first event of every connection carries every fold so far), and
// reloads once the trial has finished, so the charts and metrics appear.
(function () {
  "use strict";
  const page = document.getElementById("trial-page");
  if (!page) return;
  const id = page.dataset.trial;
  const vocabulary = JSON.parse(document.getElementById("vocabulary").textContent);
  const finished = vocabulary.finished_statuses;
  const waiting = [vocabulary.status.queued, vocabulary.status.pending_approval];
  const statusEl = document.getElementById("status");
  const bar = document.getElementById("bar");
  const text = document.getElementById("progress-text");
  const cancel = document.getElementById("cancel");
  const connection = document.getElementById("connection");
  const foldBody = document.querySelector("#folds tbody");
  // The fold table's metric columns, as the page drew them: each header names its metric and how it is shown.
  const columns = [...document.querySelectorAll("#folds thead th[data-metric]")]
    .map((th) => ({ key: th.dataset.metric, kind: th.dataset.kind }));
  const show = (kind, v) => {
    if (v == null || !Number.isFinite(Number(v))) return "—";
    if (kind === "percent") return (v * 100).toFixed(1) + " %";
    if (kind === "ratio") return Number(v).toFixed(2);
    if (kind === "count") return Math.round(v).toLocaleString("en");
    const text = Number(v).toPrecision(4);  // four significant digits, as trials.figures shows a number
    return text.includes(".") && !text.includes("e") ? text.replace(/\.?0+$/, "") : text;
  };
  let status = page.dataset.status;

  function showConnection(state) {
    if (!connection) return;
    connection.textContent = { live: "● live", lost: "connection lost: reconnecting…", connecting: "connecting…" }[state];
    connection.classList.toggle("lost", state === "lost");
    connection.dataset.state = state;
  }

  function cell(row, value, numeric) {
    const td = document.createElement("td");
    td.textContent = value;
    if (numeric) td.className = "num";
    row.appendChild(td);
  }

  function foldRow(f) {
    const row = document.createElement("tr");
    row.dataset.fold = f.fold;
    const day = (v) => (v || "").slice(0, 10);
    cell(row, f.fold, true);
    cell(row, day(f.train_start) + " → " + day(f.train_end));
    cell(row, day(f.test_start) + " → " + day(f.test_end));
    cell(row, f.n_train + " / " + f.n_test, true);
    for (const c of columns) cell(row, show(c.kind, (f.metrics || {})[c.key]), true);
    return row;
  }

  function render(event) {
    status = event.status;
    page.dataset.status = status;
    statusEl.textContent = status;
    statusEl.className = "status status-" + status;
    bar.value = event.progress || 0;
    text.textContent = Math.round((event.progress || 0) * 100) + "% · fold " + (event.fold || 0) + " of " + (event.folds || "?");
    if (!waiting.includes(status)) {
      document.querySelectorAll(".messages .trial-queued").forEach((li) => li.remove());
    }
    if (event.error) {
      document.getElementById("error").textContent = event.error;
      document.getElementById("error-box").hidden = false;
    }
    if (event.folds_done) {
      foldBody.replaceChildren(...event.folds_done.map(foldRow));
    } else if (event.last_fold && !foldBody.querySelector('[data-fold="' + event.last_fold.fold + '"]')) {
      foldBody.appendChild(foldRow(event.last_fold));
    }
    if (finished.includes(status) && cancel) cancel.remove();
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/trials/" + id + "/");
    socket.onopen = () => { retry = 1000; showConnection("live"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      const wasFinished = finished.includes(status);
      render(event);
      if (finished.includes(event.status)) {
        socket.onclose = null;
        socket.close();
        if (!wasFinished) setTimeout(() => location.reload(), 800);
      }
    };
    socket.onclose = (e) => {
      if (e.code === 4404 || finished.includes(status)) return;
      showConnection("lost");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  if (cancel) {
    cancel.addEventListener("click", () => {
      const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
      cancel.disabled = true;
      fetch(page.dataset.cancelUrl, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then((r) => r.json()).then(render).finally(() => { cancel.disabled = false; });
    });
  }
  if (!finished.includes(status)) connect();
})();

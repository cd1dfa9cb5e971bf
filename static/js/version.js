// Registry version page: while the refit runs, follows /ws/registry/versions/<id>/ and moves the progress bar and
// the status in place; reloads once the fit is ready or failed, so the facts and stage buttons appear.
(function () {
  "use strict";
  const page = document.getElementById("version-page");
  if (!page) return;
  const running = (status) => status === "queued" || status === "fitting";  // ModelVersion.Status before a result
  if (!running(page.dataset.status)) return;
  const statusEl = document.getElementById("fit-status");
  const bar = document.getElementById("fit-progress");
  const text = document.getElementById("fit-progress-text");
  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/registry/versions/" + page.dataset.version + "/");
    socket.onopen = () => { retry = 1000; };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      page.dataset.status = event.status;
      statusEl.textContent = event.status;
      statusEl.className = "status status-" + event.status;
      if (bar) bar.value = event.progress || 0;
      if (text) text.textContent = Math.round((event.progress || 0) * 100) + "%";
      if (!running(event.status)) {
        socket.onclose = null;
        socket.close();
        setTimeout(() => location.reload(), 500);
      }
    };
    socket.onclose = (e) => {
      if (e.code === 4404 || e.code === 4403) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();

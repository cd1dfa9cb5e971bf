// Data page: polls GET /api/datasets/fetch/<id>/ for each queued or running fetch job and updates its row.
(function () {
  "use strict";
  const FINISHED = new Set(["succeeded", "failed"]);
  const rows = Array.from(document.querySelectorAll("#fetch-jobs tr[data-job]"))
    .filter((row) => !FINISHED.has(row.dataset.status));
  if (!rows.length) return;

  function update(row, job) {
    const status = row.querySelector('[data-field="status"]');
    status.textContent = job.status;
    status.className = "status status-" + job.status;
    row.querySelector('[data-field="progress"]').value = job.progress;
    row.querySelector('[data-field="rows_added"]').textContent = job.rows_added;
    row.querySelector('[data-field="error"]').textContent = job.error;
    row.dataset.status = job.status;
  }

  let pending = rows;
  async function poll() {
    const still = [];
    for (const row of pending) {
      try {
        const response = await fetch("/api/datasets/fetch/" + row.dataset.job + "/", { credentials: "same-origin" });
        if (!response.ok) continue;
        const job = await response.json();
        update(row, job);
        if (!FINISHED.has(job.status)) still.push(row);
        else if (job.status === "succeeded") window.setTimeout(() => window.location.reload(), 800);
      } catch (err) {
        still.push(row); // a network blip: try again next round
      }
    }
    pending = still;
    if (pending.length) window.setTimeout(poll, 1500);
  }
  window.setTimeout(poll, 1000);
})();

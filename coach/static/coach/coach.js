// Coach page: send a message through the REST API (202), follow the reply as it streams over the conversation's
// WebSocket (tokens, tool steps, proposals, then done or error), retry a failed message with one click, and launch
// or dismiss a proposal. State names come from the shared vocabulary (trials/vocabulary.py), never spelt here.
(function () {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const vocabulary = JSON.parse(document.getElementById("vocabulary").textContent);
  const proposal = vocabulary.proposal;
  const transcript = document.getElementById("transcript");
  const live = document.getElementById("live-reply");
  const liveText = live.querySelector("[data-role=text]");
  const liveSteps = live.querySelector("[data-role=steps]");
  const liveError = live.querySelector("[data-role=error]");
  const connection = document.getElementById("connection");
  const form = document.getElementById("message-form");
  window.__coach = { tokens: 0, tools: [], proposals: [], done: false, errors: [] };

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an HTML or text error page */ }
    return { ok: response.ok, status: response.status, body: data };
  }

  function explain(result) {
    const body = result.body || {};
    if (body.compliance) return "Refused by compliance: " + body.compliance.map((v) => v.message).join("; ");
    if (body.detail) return body.detail;
    if (body.text) return [].concat(body.text).join(" ");
    return "Failed (" + result.status + "): " + JSON.stringify(body);
  }

  function waiting(on) {
    if (!form) return;
    form.querySelector("button[type=submit]").disabled = on;
    form.querySelector("[data-role=waiting]").hidden = !on;
  }

  function startLive() {
    live.hidden = false;
    liveError.textContent = "";
    waiting(true);
  }

  // --- The reply as it streams -------------------------------------------------------------------------------
  function render(event) {
    if (event.type === "state") {
      const shownWaiting = [vocabulary.ask.queued, vocabulary.ask.running]
        .some((state) => transcript.querySelector('.ask[data-status="' + state + '"]'));
      if (event.pending.length) startLive();
      else if (shownWaiting) location.reload();  // answered between this page's rendering and the socket opening
      return;
    }
    if (event.type === "token") {
      startLive();
      window.__coach.tokens += 1;
      liveText.textContent += event.text;
    } else if (event.type === "tool") {
      startLive();
      window.__coach.tools.push(event.name);
      const step = document.createElement("li");
      step.className = "muted";
      step.textContent = "⚙ " + (event.summary || event.name);
      liveSteps.appendChild(step);
    } else if (event.type === "proposal") {
      window.__coach.proposals.push(event.proposal.id);
      const step = document.createElement("li");
      step.textContent = "Proposal: " + (event.proposal.payload.name || "a trial") + " (" + event.proposal.status + ")";
      liveSteps.appendChild(step);
    } else if (event.type === "error") {
      window.__coach.errors.push(event.message);
      liveError.textContent = "Not answered: " + event.message;
      setTimeout(() => location.reload(), 600);  // the page shows the message with its Retry button
    } else if (event.type === "done") {
      window.__coach.done = true;
      setTimeout(() => location.reload(), 300);  // the stored reply, with its proposal cards
    }
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/coach/" + transcript.dataset.conversation + "/");
    socket.onopen = () => { retry = 1000; connection.dataset.state = "live"; connection.hidden = true; };
    socket.onmessage = (message) => render(JSON.parse(message.data));
    socket.onclose = (e) => {
      if (e.code === 4404 || e.code === 4403) return;
      connection.dataset.state = "lost";
      connection.textContent = "Connection to the coach lost; reconnecting…";
      connection.hidden = false;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();

  // --- Sending, retrying, launching ----------------------------------------------------------------------------
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const box = form.querySelector("textarea[name=text]");
      const sendError = form.querySelector("[data-role=send-error]");
      sendError.textContent = "";
      waiting(true);
      const result = await post(transcript.dataset.messagesUrl, { text: box.value });
      if (!result.ok) {
        sendError.textContent = explain(result);  // the draft stays in the box
        waiting(false);
        return;
      }
      const mine = document.createElement("section");
      mine.className = "card message message-user ask";
      mine.id = "ask-" + result.body.id;
      const text = document.createElement("div");
      text.className = "pre-wrap";
      text.textContent = result.body.text;
      mine.appendChild(text);
      transcript.appendChild(mine);
      const empty = document.getElementById("no-messages");
      if (empty) empty.remove();
      box.value = "";
      liveText.textContent = "";
      liveSteps.replaceChildren();
      startLive();
    });
  }

  document.addEventListener("click", async (event) => {
    const askButton = event.target.closest("button[data-retry], button[data-discard]");
    if (askButton) {
      askButton.disabled = true;
      const result = await post(askButton.dataset.retry || askButton.dataset.discard);
      const card = askButton.closest(".ask");
      if (!result.ok) {
        card.querySelector("[data-role=ask-error]").textContent = explain(result);
        askButton.disabled = false;
        return;
      }
      if (askButton.dataset.retry) {
        card.querySelector("[data-role=ask-error]").textContent = "Asked again…";
        card.querySelectorAll("button").forEach((b) => b.remove());
        liveText.textContent = "";
        liveSteps.replaceChildren();
        startLive();
      } else {
        card.remove();
      }
      return;
    }
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
    const state = launching ? proposal.launched : proposal.dismissed;
    statusEl.textContent = state;
    statusEl.className = "status status-" + state;
    if (launching) {
      const link = document.createElement("a");
      if (result.body.study) {
        link.href = "/studies/" + result.body.study + "/";
        link.textContent = "Study " + result.body.study + " (" + result.body.status + ") →";
      } else {
        link.href = button.dataset.trialUrl.replace(/0\/$/, result.body.trial + "/");
        link.textContent = "Trial " + result.body.trial + " (" + result.body.status + ") →";
      }
      actions.replaceChildren(link);
    } else {
      actions.replaceChildren();
    }
  });
})();

// New-trial form: one typed input per hyperparameter of the chosen model, from its catalog schema
// (GET /api/models/<key>/). The inputs write the JSON in the params box, which stays the value the server
// validates; a value typed there by hand is kept when it fits the schema.
(function () {
  const model = document.querySelector("select[name=model]");
  const target = document.querySelector("select[name=target]");
  const box = document.querySelector("textarea[name=params]");
  const holder = document.getElementById("param-fields");
  if (!model || !box || !holder) return;

  function current() {
    try { return JSON.parse(box.value || "{}"); } catch (e) { return {}; }
  }

  function write(schema) {
    const values = {};
    for (const p of schema.params) {
      const input = holder.querySelector("[name='param-" + p.name + "']");
      let value = p.type === "bool" ? input.checked : input.value;
      if (p.type === "int") value = parseInt(value, 10);
      if (p.type === "float") value = parseFloat(value);
      if (value !== p.default) values[p.name] = value;  // only what differs from the default
    }
    box.value = Object.keys(values).length ? JSON.stringify(values, null, 1) : "";
  }

  function field(p, value) {
    const wrap = document.createElement("div");
    const label = document.createElement("label");
    label.textContent = p.name + (p.help ? " — " + p.help : "");
    let input;
    if (p.type === "choice") {
      input = document.createElement("select");
      for (const c of p.choices) {
        const option = document.createElement("option");
        option.value = c; option.textContent = c; option.selected = c === value;
        input.appendChild(option);
      }
    } else if (p.type === "bool") {
      input = document.createElement("input"); input.type = "checkbox"; input.checked = !!value;
    } else {
      input = document.createElement("input"); input.type = "number";
      input.step = p.type === "int" ? "1" : "any";
      if (p.min !== null) input.min = p.min;
      if (p.max !== null) input.max = p.max;
      input.value = value;
    }
    input.name = "param-" + p.name;
    input.id = "param-" + p.name;
    label.htmlFor = input.id;
    const hint = document.createElement("small");
    hint.className = "muted";
    hint.textContent = "default " + p.default + (p.min !== null || p.max !== null ? " · " + (p.min ?? "") + " … " + (p.max ?? "") : "") + (p.log ? " · log scale" : "");
    wrap.append(label, input, hint);
    return wrap;
  }

  function render() {
    fetch(holder.dataset.schemaUrl + model.value + "/", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((schema) => {
        holder.innerHTML = "";
        if (!schema) return;
        const given = current();
        for (const p of schema.params) holder.appendChild(field(p, p.name in given ? given[p.name] : p.default));
        holder.oninput = holder.onchange = () => write(schema);
        if (target && !schema.targets.includes(target.value)) target.value = schema.targets[0];
      });
  }

  model.addEventListener("change", () => { box.value = ""; render(); });
  render();
})();

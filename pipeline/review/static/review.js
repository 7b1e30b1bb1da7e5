// cable-ocr review queue: keyboard-driven navigation and decisions.
// Every OCR text is inserted with textContent, never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const initial = $("initial-data");
  if (!initial) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = { items: [], pos: 0, decided: 0, total: 0 };
  const prefetched = new Map();
  window.reviewTimings = [];

  function load(data) {
    state.items = data.items;
    state.decided = data.decided;
    state.total = data.total;
  }

  function fmt(value) {
    return value === null || value === undefined ? "?" : Number(value).toFixed(2);
  }

  function describe(d) {
    if (!d) return "undecided";
    return d.action + " \u2192 " + d.after + " by " + (d.reviewer || "?") + " at " + d.decided_at;
  }

  function prefetch(pos) {
    const item = state.items[pos];
    if (!item || !item.crop_url || prefetched.has(item.crop_url)) return;
    const img = new Image();
    img.src = item.crop_url;
    prefetched.set(item.crop_url, img);
  }

  function updateProgress() {
    state.decided = state.items.filter((i) => i.decision && i.decision.action !== "skip").length;
    $("progress").textContent = state.decided + " of " + state.total + " decided";
  }

  function renderQueueMarks() {
    const list = $("queue-list");
    state.items.forEach((item, pos) => {
      const li = list.children[pos];
      if (!li) return;
      li.className = (item.decision ? item.decision.action : "open") + (pos === state.pos ? " current" : "");
    });
  }

  function render(pos, started) {
    if (!state.items.length) return;
    state.pos = Math.max(0, Math.min(pos, state.items.length - 1));
    const item = state.items[state.pos];
    $("position").textContent = state.pos + 1 + " / " + state.items.length;
    $("where").textContent =
      item.folder_name + " \u00b7 " + item.page + " \u00b7 line " + item.line + " \u00b7 word " + item.index;
    $("confidence").textContent = fmt(item.posterior);
    $("ocr").textContent = item.ocr_text;
    $("proposal").textContent = item.proposal;
    $("state").textContent = describe(item.decision);
    $("identical").textContent = String(item.identical);
    const alts = $("alternatives");
    alts.replaceChildren();
    item.alternatives.forEach((alt, n) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "alt";
      button.dataset.n = String(n + 1);
      button.textContent = alt;
      li.appendChild(button);
      alts.appendChild(li);
    });
    const cropBox = $("crop-box");
    const lineText = $("line-text");
    const img = $("crop");
    if (item.has_image) {
      cropBox.hidden = false;
      lineText.hidden = true;
      if (img.getAttribute("src") !== item.crop_url) img.src = item.crop_url;
    } else {
      cropBox.hidden = true;
      lineText.hidden = false;
      img.removeAttribute("src");
    }
    $("line-before").textContent = item.line_before;
    $("line-word").textContent = item.ocr_text;
    $("line-after").textContent = item.line_after;
    closeEdit();
    renderQueueMarks();
    updateProgress();
    const li = $("queue-list").children[state.pos];
    if (li) li.scrollIntoView({ block: "nearest" });
    for (let k = 1; k <= 3; k++) prefetch(state.pos + k);
    prefetch(state.pos - 1);
    if (started !== undefined) {
      const done = () => window.reviewTimings.push(performance.now() - started);
      if (item.has_image) img.decode().then(done, done);
      else done();
    }
  }

  function go(pos) {
    render(pos, performance.now());
  }

  function nextOpen(from) {
    const n = state.items.length;
    for (let k = from + 1; k < n; k++) if (!state.items[k].decision) return k;
    for (let k = 0; k < from && k < n; k++) if (!state.items[k].decision) return k;
    return Math.min(from + 1, n - 1);
  }

  function message(text, ok) {
    const m = $("message");
    m.textContent = text;
    m.className = ok ? "message ok" : "message";
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = { ok: false, error: (await response.text().catch(() => "")) || response.statusText };
    }
    return { status: response.status, data: data };
  }

  async function decide(action, text) {
    const item = state.items[state.pos];
    if (!item) return;
    const body = {
      folder: item.folder,
      index: item.index,
      action: action,
      text: text === undefined ? null : text,
      reviewer: $("reviewer").value,
      all_identical: $("all-identical").checked && action !== "skip",
    };
    if (item.decision && item.decision.action !== "skip") body.base_revision = item.decision.revision;
    const pos = state.pos;
    go(nextOpen(pos));
    const result = await post("/api/decide", body);
    if (result.data && result.data.decision) item.decision = newer(item.decision, result.data.decision);
    if (result.status === 200) {
      let note = "saved: " + item.ocr_text + " \u2192 " + item.decision.after;
      if (result.data.also_stored) note += " (+" + result.data.also_stored + " identical)";
      message(note, true);
      if (body.all_identical) refresh();
    } else {
      message((result.data && result.data.error) || "refused (" + result.status + ")", false);
    }
    $("all-identical").checked = false;
    renderQueueMarks();
    updateProgress();
    if (state.pos === pos) render(pos);
  }

  function openEdit() {
    const item = state.items[state.pos];
    if (!item) return;
    const form = $("edit-form");
    form.hidden = false;
    const input = $("edit-text");
    input.value = item.decision && item.decision.action === "edit" ? item.decision.after : item.proposal;
    input.focus();
    input.select();
  }

  function closeEdit() {
    $("edit-form").hidden = true;
  }

  // Decisions only ever gain revisions, so the higher revision is the newer one; this keeps
  // a slow, older response from undoing a newer decision.
  function newer(local, fresh) {
    if (!fresh) return local;
    if (!local) return fresh;
    return fresh.revision >= local.revision ? fresh : local;
  }

  async function refresh() {
    try {
      const response = await fetch("/api/items", { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      const byKey = new Map(data.items.map((i) => [i.key, i]));
      state.items.forEach((item) => {
        const fresh = byKey.get(item.key);
        if (fresh) item.decision = newer(item.decision, fresh.decision);
      });
      renderQueueMarks();
      updateProgress();
      $("state").textContent = describe(state.items[state.pos] && state.items[state.pos].decision);
    } catch (e) {
      /* server gone: keep the page as it is */
    }
  }

  load(JSON.parse(initial.textContent));
  if (!state.items.length) return;

  $("approve").addEventListener("click", () => decide("approve"));
  $("reject").addEventListener("click", () => decide("reject"));
  $("skip").addEventListener("click", () => decide("skip"));
  $("edit").addEventListener("click", openEdit);
  $("prev").addEventListener("click", () => go(state.pos - 1));
  $("next").addEventListener("click", () => go(state.pos + 1));
  $("edit-cancel").addEventListener("click", closeEdit);
  $("edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("edit-text").value.trim();
    if (text) decide("edit", text);
  });
  $("alternatives").addEventListener("click", (event) => {
    const button = event.target.closest("button.alt");
    if (button) decide("edit", button.textContent);
  });
  $("queue-list").addEventListener("click", (event) => {
    const li = event.target.closest("li");
    if (li) go(Array.prototype.indexOf.call($("queue-list").children, li));
  });
  $("apply").addEventListener("click", async () => {
    message("applying\u2026", true);
    const result = await post("/api/apply", {});
    if (result.status === 200) message("applied: " + result.data.results.join("; "), true);
    else message((result.data && result.data.error) || "apply refused (" + result.status + ")", false);
  });
  $("edit-text").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeEdit();
    }
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing =
      target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "checkbox"));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const item = state.items[state.pos];
    const key = event.key;
    if (key === "a") decide("approve");
    else if (key === "r") decide("reject");
    else if (key === "s") decide("skip");
    else if (key === "e") {
      event.preventDefault();
      openEdit();
    } else if (key === "ArrowRight") go(state.pos + 1);
    else if (key === "ArrowLeft") go(state.pos - 1);
    else if (/^[1-5]$/.test(key) && item && item.alternatives[Number(key) - 1] !== undefined)
      decide("edit", item.alternatives[Number(key) - 1]);
    else return;
    event.preventDefault();
  });
  render(nextOpen(-1));
  setInterval(refresh, 5000);
})();

"use strict";
const API = new URL("..", location.href);
const $ = (id) => document.getElementById(id);
const messages = new Map();
let requests = [];
let selected = null;
let clock = null;
let clockFetchedAt = 0;

function token() { return sessionStorage.getItem("smsim-token"); }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  // Every call that changes state says so in a way no other page can forge.
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  else if (options.method && options.method !== "GET") headers["X-Smsim"] = "1";
  if (token()) headers["Authorization"] = "Bearer " + token();
  const response = await fetch(new URL(path, API), Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: text }; }
  if (response.status === 401) {
    const given = prompt("This simulator's admin API needs its token (--admin-token):");
    if (given) { sessionStorage.setItem("smsim-token", given); return api(path, options); }
  }
  if (!response.ok) {
    const error = new Error((body && body.error) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 2500);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// The one-time code the message holds, as a button that copies it.
function codeButton(m) {
  if (!m.code) return null;
  return el("button", {
    class: "code", "data-code": m.code, title: "Copy the code", "aria-label": "Copy code " + m.code,
    onclick: async () => {
      try { await navigator.clipboard.writeText(m.code); toast("Copied " + m.code); }
      catch (_) { toast("Code " + m.code); }
    },
  }, m.code);
}

function badge(status) { return el("span", { class: "badge s-" + status }, status); }

function simNow() {
  if (!clock) return Date.now();
  return clock.mode === "manual" ? clock.unix_ms : clock.unix_ms + (Date.now() - clockFetchedAt);
}

function age(iso) {
  const seconds = Math.max(0, Math.round((simNow() - Date.parse(iso)) / 1000));
  if (seconds < 60) return seconds + " s";
  if (seconds < 3600) return Math.floor(seconds / 60) + " min";
  if (seconds < 86400) return Math.floor(seconds / 3600) + " h";
  return Math.floor(seconds / 86400) + " d";
}

function time(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, " UTC") : ""; }

/* ---- clock ---- */
function showClock(c) {
  clock = c;
  clockFetchedAt = Date.now();
  $("clock-mode").textContent = c.mode + " clock";
  $("clock-times").textContent = time(c.rfc3339) + " · Georgia " + c.georgia + " · Tashkent " + c.tashkent;
  $("clock-buttons").hidden = c.mode !== "manual";
  $("next-due").disabled = !c.next_due;
  $("next-due").title = c.next_due ? "to " + time(c.next_due) : "nothing is scheduled";
}

async function advance(seconds) {
  try { showClock(await api("clock/advance", { method: "POST", body: JSON.stringify({ seconds }) })); }
  catch (e) { toast(e.message); }
}

/* ---- messages ---- */
function messageFilter(m) {
  const provider = $("f-provider").value, status = $("f-status").value;
  const account = $("f-account").value.trim(), search = $("f-search").value.trim().toLowerCase();
  return (!provider || m.provider === provider) && (!status || m.status === status)
    && (!account || m.account === account)
    && (!search || m.destination.includes(search) || m.content.toLowerCase().includes(search));
}

let renderPending = false;
function renderMessages() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    const shown = [...messages.values()].filter(messageFilter).sort((a, b) => b.id - a.id).slice(0, 500);
    const rows = shown.map((m) => el("tr", {
        tabindex: 0, "data-id": m.id, "data-destination": m.destination,
        class: m.id === selected ? "selected" : null,
        onclick: () => select(m.id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(m.id); } },
      },
      el("td", { "data-label": "Provider", class: "nowrap" }, m.provider, el("div", { class: "muted" }, m.account)),
      el("td", { "data-label": "Sender" }, m.sender),
      el("td", { "data-label": "Destination", class: "mono nowrap" }, m.destination),
      el("td", { "data-label": "Text", class: "text", title: m.content }, codeButton(m), m.content),
      el("td", { "data-label": "Segments", class: "nowrap" }, m.segments + " · " + m.encoding),
      el("td", { "data-label": "Status" }, badge(m.status)),
      el("td", { "data-label": "Age", class: "muted nowrap" }, age(m.created_at))));
    // Rows are rebuilt: keep the keyboard focus on the same message.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : undefined;
    $("m-rows").replaceChildren(...rows);
    if (focused !== undefined) {
      const again = $("m-rows").querySelector('tr[data-id="' + focused + '"]');
      if (again) again.focus();
    }
    $("m-empty").hidden = messages.size > 0;
    $("m-count").textContent = shown.length + " shown of " + messages.size;
  });
}

async function loadMessages() {
  try {
    const page = await api("messages?order=newest&limit=1000");
    messages.clear();
    for (const m of page.messages) messages.set(m.id, m);
    renderMessages();
    if (selected !== null) showDetail();
  } catch (e) { toast(e.message); }
}

function select(id) {
  selected = id;
  renderMessages();
  showDetail();
}

async function showDetail() {
  const m = messages.get(selected);
  const box = $("detail");
  if (!m) { box.replaceChildren(el("p", { class: "muted" }, "This message is no longer held.")); return; }
  const [callbacks, created] = await Promise.all([
    api("callbacks?message_id=" + m.id + "&limit=1000").catch(() => ({ callbacks: [] })),
    api("requests?message_id=" + m.id + "&limit=1").catch(() => ({ requests: [] })),
  ]);
  const final = ["delivered", "undelivered", "expired", "rejected"].includes(m.status);
  const outcome = (name) => el("button", {
    "data-outcome": name, disabled: final,
    onclick: async () => {
      const given = $("outcome-reason").value.trim();
      const reason = name === "delivered" || !given ? null : given;
      try {
        const updated = await api("messages/" + m.id + "/outcome", { method: "POST", body: JSON.stringify({ outcome: name, reason }) });
        messages.set(updated.id, updated);
        renderMessages();
        showDetail();
      } catch (e) { toast(e.message); }
    },
  }, name[0].toUpperCase() + name.slice(1));
  const request = created.requests[0];
  box.replaceChildren(
    el("h2", {}, "Message " + m.id + " ", badge(m.status)),
    el("p", {}, el("strong", {}, m.provider), " · ", m.account, " · from ", m.sender, " to ", el("span", { class: "mono" }, m.destination)),
    el("p", { class: "mono" }, codeButton(m), m.content),
    el("p", { class: "muted" }, ["reference", "mes_id", "request_id", "message_id"]
      .filter((name) => m[name] !== undefined && m[name] !== null)
      .map((name) => name + " " + m[name]).join(" · ")),
    el("p", { class: "muted" }, m.segments + " segment(s), " + m.encoding + (m.reason ? " · reason: " + m.reason : "")),
    el("div", { class: "actions", role: "group", "aria-label": "Decide the outcome" },
      ["delivered", "undelivered", "expired", "rejected"].map(outcome),
      el("input", { id: "outcome-reason", placeholder: "reason (optional)", "aria-label": "Reason for a failure", disabled: final })),
    el("h3", {}, "History"),
    el("ol", { class: "timeline", id: "timeline" }, m.history.map((h) => el("li", {}, badge(h.status), " ", el("span", { class: "muted" }, time(h.at))))),
    el("h3", {}, "Callbacks"),
    callbacks.callbacks.length === 0
      ? el("p", { class: "muted" }, "None sent (smsoffice sends one per change of state when the message had a reference and the account a callback URL).")
      : el("div", { id: "attempts" }, callbacks.callbacks.map((a) => el("div", { class: "attempt" },
          el("div", { class: "mono" }, a.url),
          el("div", {}, "attempt " + a.attempt + " at " + time(a.at) + " · ",
            a.status !== null ? "HTTP " + a.status + " " + JSON.stringify(a.body) : el("span", { class: "error" }, a.error),
            a.acknowledged ? " · acknowledged" : "", a.given_up ? " · given up" : "",
            a.retry_at ? " · retry at " + time(a.retry_at) : "",
            a.fault ? el("span", { class: "fault" }, " fault " + a.fault) : "")))),
    el("h3", {}, "Request"),
    request ? el("div", {}, el("div", { class: "mono" }, request.method + " " + request.target),
      el("div", { class: "muted" }, time(request.at) + " · HTTP " + request.status + " · from " + request.client),
      request.lints.map((l) => el("div", { class: "lint" }, l)))
      : el("p", { class: "muted" }, "No longer in the journal."),
  );
}

/* ---- requests ---- */
function renderRequests() {
  const provider = $("r-provider").value;
  const shown = requests.filter((r) => !provider || r.provider === provider).slice(0, 500);
  $("r-rows").replaceChildren(...shown.map((r) => el("tr", {},
    el("td", { "data-label": "Time", class: "muted" }, time(r.at)),
    el("td", { "data-label": "Method" }, r.method),
    el("td", { "data-label": "Target", class: "mono" }, r.target),
    el("td", { "data-label": "Account" }, r.account || ""),
    el("td", { "data-label": "Status" }, r.status === null ? el("span", { class: "fault" }, "no reply") : r.status),
    el("td", { "data-label": "Lints and faults" }, r.lints.map((l) => el("div", { class: "lint" }, l)),
      r.fault ? el("div", { class: "fault" }, "fault " + r.fault) : ""))));
  $("r-count").textContent = shown.length + " shown";
}

async function loadRequests() {
  try { requests = (await api("requests?order=newest&limit=500")).requests; renderRequests(); }
  catch (e) { toast(e.message); }
}

/* ---- accounts ---- */
// The providers come from the admin API: the page names none of them.
let providers = [];
async function loadProviders() {
  try { providers = (await api("providers")).providers; } catch (e) { toast(e.message); return; }
  for (const id of ["f-provider", "r-provider"]) {
    $(id).replaceChildren(el("option", { value: "" }, "all"), ...providers.map((p) => el("option", {}, p.name)));
  }
}

// Column labels for the account fields the page lets you edit; any other true/false field is
// shown under its own name.
const FIELD_LABELS = { api_enabled: "API enabled", blocked: "Blocked", callback_url: "Callback URL" };
const label = (field) => FIELD_LABELS[field] || field.replace(/_/g, " ");

async function loadAccounts() {
  let all;
  try { all = await api("accounts"); } catch (e) { toast(e.message); return; }
  const body = [];
  for (const { name: provider, account_id: idField } of providers) {
    body.push(el("h2", {}, provider));
    const accounts = all[provider] || [];
    // Editable columns: the accounts' true/false fields, and a callback URL where there is one.
    const fields = [...new Set(accounts.flatMap((a) => Object.keys(a).filter((k) => typeof a[k] === "boolean" || k === "callback_url")))];
    const rows = accounts.map((a) => {
      const id = a[idField];
      const balance = el("input", { type: "number", min: 0, value: a.balance, "aria-label": "Balance of " + id, "data-balance": id });
      const cells = [el("td", { "data-label": "Account", class: "mono" }, id), el("td", { "data-label": "Balance" }, balance)];
      const patch = { balance: () => Number(balance.value) };
      for (const field of fields) {
        let input;
        if (field === "callback_url") {
          input = el("input", { class: "url", value: a.callback_url || "", placeholder: "no callback URL", "aria-label": label(field) + " of " + id });
          patch[field] = () => input.value.trim() || null;
        } else {
          input = el("input", { type: "checkbox", checked: a[field], "aria-label": label(field) + ": " + id });
          patch[field] = () => input.checked;
        }
        cells.push(el("td", { "data-label": label(field) }, input));
      }
      const save = el("button", { "data-save": provider + "/" + id, onclick: async () => {
        const change = {};
        for (const [field, read] of Object.entries(patch)) change[field] = read();
        try {
          await api("accounts/" + provider + "/" + encodeURIComponent(id), { method: "PATCH", body: JSON.stringify(change) });
          toast("Saved " + id);
        } catch (e) { toast(e.message); }
      } }, "Save");
      return el("tr", {}, cells, el("td", {}, save));
    });
    body.push(el("div", { class: "card" }, el("table", { class: "cards" },
      el("thead", {}, el("tr", {}, ["Account", "Balance", ...fields.map(label), ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows))));
  }
  $("a-body").replaceChildren(...body);
}

/* ---- faults and rules ---- */
async function loadFaults() {
  try {
    const { faults } = await api("faults");
    $("fault-rows").replaceChildren(...faults.map((f) => el("tr", {},
      el("td", { class: "mono" }, f.spec), el("td", {}, f.remaining === null ? "∞" : f.remaining), el("td", {}, f.injected))));
    if (faults.length === 0) $("fault-rows").replaceChildren(el("tr", {}, el("td", { colspan: 3, class: "muted" }, "No active faults.")));
  } catch (e) { toast(e.message); }
}

async function loadRules() {
  try { $("rules").value = JSON.stringify(await api("rules"), null, 2); $("rules-error").textContent = ""; }
  catch (e) { toast(e.message); }
}

$("fault-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await api("faults", { method: "POST", body: JSON.stringify({ spec: $("fault-spec").value }) });
    $("fault-error").textContent = "";
    $("fault-spec").value = "";
    loadFaults();
  } catch (err) { $("fault-error").textContent = err.message; }
});
$("fault-clear").addEventListener("click", async () => {
  try { await api("faults", { method: "DELETE" }); loadFaults(); } catch (e) { toast(e.message); }
});
$("rules-save").addEventListener("click", async () => {
  let rules;
  try { rules = JSON.parse($("rules").value); } catch (e) { $("rules-error").textContent = "Not JSON: " + e.message; return; }
  try {
    await api("rules", { method: "PUT", body: JSON.stringify(rules) });
    $("rules-error").textContent = "";
    toast("Rules saved");
  } catch (e) { $("rules-error").textContent = e.message; }
});
$("rules-reload").addEventListener("click", loadRules);

/* ---- tabs ---- */
const LOADERS = { messages: loadMessages, requests: loadRequests, accounts: loadAccounts, faults: () => { loadFaults(); loadRules(); } };
function showTab(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.getAttribute("aria-controls") === name;
    tab.setAttribute("aria-selected", on);
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  location.hash = name;
  LOADERS[name]();
}
const tabs = [...document.querySelectorAll('[role="tab"]')];
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => showTab(tab.getAttribute("aria-controls")));
  tab.addEventListener("keydown", (e) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    next.focus();
    showTab(next.getAttribute("aria-controls"));
  });
});
for (const id of ["f-provider", "f-status", "f-account", "f-search"]) $(id).addEventListener("input", renderMessages);
$("r-provider").addEventListener("input", renderRequests);
for (const button of document.querySelectorAll("[data-advance]")) {
  button.addEventListener("click", () => advance(Number(button.dataset.advance)));
}
$("next-due").addEventListener("click", () => {
  if (clock && clock.next_due) advance(Math.max(0, (Date.parse(clock.next_due) - clock.unix_ms) / 1000));
});

/* ---- live events ---- */
function connect() {
  const url = new URL("events", API);
  if (token()) url.searchParams.set("access_token", token());
  const source = new EventSource(url);
  const live = $("live");
  source.onopen = () => { live.textContent = "● live"; live.className = "on"; };
  source.onerror = () => { live.textContent = "○ reconnecting"; live.className = "off"; };
  const on = (name, handler) => source.addEventListener(name, (e) => handler(JSON.parse(e.data)));
  on("hello", (data) => { showClock(data.clock); loadMessages(); if (!$("requests").hidden) loadRequests(); });
  on("message", (m) => {
    messages.set(m.id, m);
    renderMessages();
    if (m.id === selected) showDetail();
  });
  on("request", (r) => { requests.unshift(r); if (requests.length > 500) requests.pop(); if (!$("requests").hidden) renderRequests(); });
  on("callback", (a) => { if (a.message_id === selected) showDetail(); });
  on("clock", (c) => { showClock(c); renderMessages(); });
  on("account", () => { if (!$("accounts").hidden) loadAccounts(); });
  on("cleared", () => { messages.clear(); requests = []; selected = null; renderMessages(); renderRequests(); });
  on("lagged", () => { loadMessages(); loadRequests(); });
}

// A real clock moves by itself: read it now and then, and let the ages follow.
setInterval(() => {
  if (clock && clock.mode === "real") api("clock").then((c) => { showClock(c); renderMessages(); }).catch(() => {});
}, 2000);
api("clock").then(showClock).catch((e) => toast(e.message));
showTab(location.hash.slice(1) in LOADERS ? location.hash.slice(1) : "messages");
loadProviders().then(connect);

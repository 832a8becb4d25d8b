// The demo client: sidebar, messages and threads, App Home, modals, composer, person
// switcher, clock and the guided story. Every intent goes to /api/<intent>; the demo
// server sends it to Savedesk's /slack/events exactly as Slack would.
"use strict";

(function () {
  const T = window.SlackText;
  const BK = window.BlockKit;
  const { scrollNewest, imageOf } = window.MessageList;
  const $ = (id) => document.getElementById(id);
  // Who is acting and where they are live in the address (?user=…&channel=…), so a
  // reload comes back to the same place, as Slack reopens the last channel.
  const params = new URLSearchParams(location.search);
  const startAt = params.get("channel") || "C0CASES";
  const ui = {
    user: params.get("user") || "U0CSM",
    place: startAt === "app" ? { kind: "app" } : { kind: "channel", id: startAt },
    tab: "messages", thread: null, state: null, version: -1, seen: {}, modalKey: "", menu: null,
  };

  function remember() {
    const query = new URLSearchParams(location.search);
    query.set("user", ui.user);
    query.set("channel", ui.place.kind === "app" ? "app" : ui.place.id);
    history.replaceState(null, "", `${location.pathname}?${query}`);
  }

  // One intent; a refusal is shown in the page (never an uncaught error) and answers null.
  async function api(intent, body) {
    const response = await fetch(`/api/${intent}`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: ui.user, ...body }),
    }).catch(() => null);
    if (!response) { showError("The demo is not answering; is `python app.py demo` still running?"); return null; }
    const data = await response.json().catch(() => ({}));
    setTimeout(refresh, 150);
    if (!response.ok) { showError(data.error || `HTTP ${response.status}`); return null; }
    return data;
  }

  function showError(text) {
    const box = $("error");
    box.textContent = text;
    box.hidden = false;
    setTimeout(() => { box.hidden = true; }, 8000);
  }

  async function refresh(force) {
    const response = await fetch(`/api/state?user=${encodeURIComponent(ui.user)}`).catch(() => null);
    if (!response || !response.ok) return;
    const state = await response.json();
    if (!ui.state && state.modals.length) {  // a reload: Slack's client forgets open modals
      for (const view of state.modals.slice().reverse()) await api("close", { view_id: view.id });
      state.modals = [];
    }
    if (!force && ui.state && state.version === ui.version && state.user === ui.state.user) return;
    ui.state = state;
    ui.version = state.version;
    render();
  }

  function ctxFor(extra) {
    const s = ui.state;
    return {
      people: s.people, channels: s.channels, timezone: s.timezone, now: s.now,
      openUrl, suggest: () => Promise.resolve([]), dispatch: () => false, ...extra,
    };
  }

  // Permalinks to Slack messages open the thread here; other links open a tab.
  function openUrl(url) {
    const match = /slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?thread_ts=([\d.]+))?/.exec(url);
    if (!match) { window.open(url, "_blank", "noopener"); return; }
    const ts = `${match[2]}.${match[3]}`;
    goTo(match[1].startsWith("D") ? { kind: "app" } : { kind: "channel", id: match[1] });
    ui.thread = { channel: match[1], ts: match[4] || ts };
    render();
  }

  function goTo(place) {
    ui.place = place;
    ui.thread = null;
    if (place.kind === "app") ui.tab = ui.tab || "messages";
    remember();
    render();
  }

  const channelOf = () => (ui.place.kind === "app" ? ui.state.dm : ui.place.id);
  const isRoot = (m) => !m.thread_ts || m.thread_ts === m.ts;
  const name = (id) => T.personName(id, ui.state);

  // -- unread marks: per person, the newest ts they have seen in each channel. What was
  // there when the page opened counts as read for everyone; what arrived later is unread
  // for a person until they open it, even while the page acted as someone else.
  function seenFor() {
    if (ui.since === undefined) {
      ui.since = ui.state.messages.reduce((newest, m) => (m.ts > newest ? m.ts : newest), "");
    }
    if (!ui.seen[ui.user]) ui.seen[ui.user] = {};
    return ui.seen[ui.user];
  }
  function markSeen(channel, ts) {
    const seen = ui.seen[ui.user];
    if (!seen[channel] || seen[channel] < ts) seen[channel] = ts;
  }
  function unread(channel) {
    const seen = seenFor()[channel] || ui.since;
    return ui.state.messages.some((m) => m.channel === channel && m.ts > seen && m.user !== ui.user);
  }

  function render() {
    if (!ui.state) return;
    document.body.dataset.rendered = String(ui.version); // the state shown (tests wait on it)
    seenFor();
    const current = channelOf();
    if (!(ui.place.kind === "app" && ui.tab === "home")) {
      for (const m of ui.state.messages) if (m.channel === current) markSeen(m.channel, m.ts);
    }
    renderTop();
    renderSidebar();
    renderMain();
    renderThread();
    renderStory();
    renderModal();
  }

  function renderTop() {
    const select = $("person");
    if (!select.options.length) {
      for (const p of ui.state.people.filter((p) => p.switcher)) {
        const option = document.createElement("option");
        option.value = p.id;
        option.textContent = `${p.name} — ${p.switcher}`;
        select.appendChild(option);
      }
    }
    select.value = ui.user;
    const now = new Date(ui.state.now);
    $("clock-now").textContent = now.toLocaleString("en-US", {
      timeZone: ui.state.timezone, weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    });
    const offset = ui.state.offset_seconds;
    const days = Math.floor(offset / 86400);
    const hours = Math.floor((offset % 86400) / 3600);
    $("clock-offset").textContent = offset > 0 ? `(+${days ? `${days}d ` : ""}${hours}h ahead)` : "(real time)";
  }

  function sideItem(label, active, isUnread, onClick, data) {
    const item = BK.el("li", `side-item${active ? " active" : ""}${isUnread ? " unread" : ""}`);
    item.innerHTML = `${label}${isUnread ? ' <span class="dot" aria-label="unread">●</span>' : ""}`;
    Object.assign(item.dataset, data);
    item.addEventListener("click", onClick);
    return item;
  }

  function renderSidebar() {
    const list = $("channel-list");
    list.innerHTML = "";
    for (const c of ui.state.channels) {
      const active = ui.place.kind === "channel" && ui.place.id === c.id;
      list.appendChild(sideItem(`# ${T.escapeHtml(c.name)}`, active, !active && unread(c.id),
        () => goTo({ kind: "channel", id: c.id }), { channel: c.id }));
    }
    const apps = $("app-list");
    apps.innerHTML = "";
    const active = ui.place.kind === "app";
    apps.appendChild(sideItem("🤖 Savedesk", active, !(active && ui.tab === "messages") && unread(ui.state.dm),
      () => goTo({ kind: "app" }), { channel: ui.state.dm }));
  }

  function renderMain() {
    const app = ui.place.kind === "app";
    const channel = ui.state.channels.find((c) => c.id === ui.place.id);
    $("channel-header").innerHTML = app ? "<b>🤖 Savedesk</b> <span class='muted'>app</span>"
      : `<b># ${T.escapeHtml(channel ? channel.name : ui.place.id)}</b> <span class="muted">${T.escapeHtml(channel ? channel.purpose : "")}</span>`;
    $("tabs").hidden = !app;
    const home = app && ui.tab === "home";
    $("home").hidden = !home;
    $("messages").hidden = home;
    $("composer").hidden = home;
    document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === (app ? ui.tab : "")));
    if (home) { renderHome(); return; }
    const current = channelOf();
    const items = ui.state.messages.filter((m) => m.channel === current && isRoot(m))
      .concat(ui.state.ephemerals.filter((e) => (e.channel === current || !e.channel) && !e.thread_ts).map((e) => ({ ...e, ephemeral: true })))
      .sort((a, b) => (a.ts < b.ts ? -1 : 1));
    const box = $("messages");
    const keep = box.scrollTop;
    box.innerHTML = "";
    if (!items.length) box.appendChild(BK.el("div", "empty muted", "No messages yet. Try <code>/churn help</code>."));
    for (const m of items) box.appendChild(renderMessage(m, current, true));
    box.scrollTop = keep;
    scrollNewest(box, ui.lastPlace !== current);
    ui.lastPlace = current;
  }

  function renderHome() {
    const box = $("home");
    box.innerHTML = "";
    const view = ui.state.home;
    if (!view) { box.appendChild(BK.el("div", "empty muted", "Opening Home…")); return; }
    const ctx = ctxFor({
      onAction: (action) => api("view_action", { view_id: view.id, action, values: BK.readState(box) }),
    });
    box.appendChild(BK.renderBlocks(view.blocks, ctx));
  }

  function renderMessage(m, channel, withReplies) {
    const row = BK.el("div", `msg${m.ephemeral ? " ephemeral" : ""}`);
    row.dataset.ts = m.ts;
    const bot = m.ephemeral || !m.user || m.user === "U0BOT";
    const who = m.via === "slack" ? "Slackbot" : (bot ? "Savedesk" : name(m.user));
    row.appendChild(BK.el("div", `avatar${bot ? " bot" : ""}`, T.escapeHtml(who.slice(0, 1))));
    const body = BK.el("div", "msg-body");
    const badge = bot && m.via !== "slack" ? ' <span class="badge">APP</span>' : "";
    const only = m.ephemeral ? ' <span class="muted small">Only visible to you</span>' : "";
    const when = new Date(Number(m.ts) * 1000).toLocaleString("en-US", {
      timeZone: ui.state.timezone, month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    });
    const time = ` <span class="muted small" title="${T.escapeHtml(m.ts)}">${T.escapeHtml(when)}</span>`;
    body.appendChild(BK.el("div", "msg-head", `<b>${T.escapeHtml(who)}</b>${badge}${time}${only}${m.edited ? ' <span class="muted small">(edited)</span>' : ""}`));
    // a click in the thread pane is answered there (its ephemeral carries the thread_ts)
    const thread_ts = withReplies || !ui.thread ? undefined : ui.thread.ts;
    const ctx = ctxFor({ onAction: (action) => api("action", { channel, ts: m.ts, action, thread_ts }) });
    body.appendChild(m.blocks && m.blocks.length ? BK.renderBlocks(m.blocks, ctx) : BK.el("div", "bk-text", T.mrkdwn(m.text, ctx)));
    for (const file of m.files || []) {
      const figure = BK.el("figure", "file");
      figure.innerHTML = `<figcaption>${T.escapeHtml(file.title || file.name)}</figcaption>`;
      if (/\.(png|jpe?g|gif)$/i.test(file.name || "")) {
        figure.appendChild(imageOf(file));
      }
      body.appendChild(figure);
    }
    for (const a of m.attachments || []) {
      const att = BK.el("div", "attachment");
      if (a.color) att.style.borderLeftColor = a.color.startsWith("#") ? a.color : `#${a.color}`;
      att.appendChild(a.blocks ? BK.renderBlocks(a.blocks, ctx) : BK.el("div", "", T.mrkdwn(a.text || a.fallback || "", ctx)));
      body.appendChild(att);
    }
    if (withReplies && !m.ephemeral) {
      const replies = ui.state.messages.filter((r) => r.channel === channel && r.thread_ts === m.ts && r.ts !== m.ts);
      if (replies.length) {
        const link = BK.el("button", "replies", `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`);
        link.type = "button";
        link.addEventListener("click", () => { ui.thread = { channel, ts: m.ts }; render(); });
        body.appendChild(link);
      }
    }
    row.appendChild(body);
    if (!m.ephemeral) row.appendChild(messageMenu(m, channel));
    return row;
  }

  function messageMenu(m, channel) {
    const box = BK.el("div", "msg-menu");
    const more = BK.el("button", "msg-more", "⋯");
    more.type = "button";
    more.title = "More actions";
    more.addEventListener("click", () => { ui.menu = ui.menu === m.ts ? null : m.ts; render(); });
    box.appendChild(more);
    if (ui.menu === m.ts) {
      const menu = BK.el("div", "menu");
      const item = BK.el("button", "menu-item", "Open churn case <span class='muted small'>Savedesk</span>");
      item.type = "button";
      item.addEventListener("click", () => { ui.menu = null; api("shortcut", { channel, ts: m.ts }); });
      menu.appendChild(item);
      box.appendChild(menu);
    }
    return box;
  }

  function renderThread() {
    const pane = $("thread");
    pane.hidden = !ui.thread;
    if (!ui.thread) return;
    const { channel, ts } = ui.thread;
    const channelInfo = ui.state.channels.find((c) => c.id === channel);
    $("thread-channel").textContent = channelInfo ? `# ${channelInfo.name}` : "";
    const items = ui.state.messages.filter((m) => m.channel === channel && (m.ts === ts || m.thread_ts === ts))
      .concat(ui.state.ephemerals.filter((e) => e.thread_ts === ts).map((e) => ({ ...e, ephemeral: true })))
      .sort((a, b) => (a.ts < b.ts ? -1 : 1));
    const box = $("thread-messages");
    const keep = box.scrollTop;
    box.innerHTML = "";
    for (const m of items) box.appendChild(renderMessage(m, channel, false));
    box.scrollTop = keep;
    scrollNewest(box, ui.lastThread !== ts);
    ui.lastThread = ts;
  }

  function renderStory() {
    const steps = ui.state.story;
    $("story-count").textContent = `${steps.filter((s) => s.done).length} / ${steps.length}`;
    const list = $("story-steps");
    list.innerHTML = "";
    for (const step of steps) {
      const item = BK.el("li", `step${step.done ? " done" : ""}`);
      item.dataset.step = step.id;
      item.innerHTML = `<span class="tick">${step.done ? "✓" : "○"}</span> <b>${T.escapeHtml(step.title)}</b><div class="muted small">${T.escapeHtml(step.hint)}</div>`;
      list.appendChild(item);
    }
    $("notes").textContent = ui.state.notes.length ? `Sample data: ${ui.state.notes.join(", ")}.` : "";
  }

  function renderModal() {
    const layer = $("modal-layer");
    const stack = ui.state.modals;
    const view = stack[stack.length - 1];
    const key = view ? `${ui.user}:${view.id}:${view.hash}:${JSON.stringify(view.errors || {})}` : "";
    if (key === ui.modalKey) return;
    const shown = layer.querySelector(".modal");
    const onScreen = shown && view && shown.dataset.viewId === view.id ? shown : null;
    const values = view ? BK.keepTyped(onScreen, view) : {};
    ui.modalKey = key;
    layer.hidden = !view;
    layer.innerHTML = "";
    if (!view) return;
    const modal = BK.el("div", "modal");
    modal.setAttribute("role", "dialog");
    modal.dataset.callbackId = view.callback_id || "";
    modal.dataset.viewId = view.id;
    const head = BK.el("div", "modal-head", `<b>${T.plain(view.title, ctxFor({}))}</b>`);
    const close = BK.el("button", "modal-x", "✕");
    close.type = "button";
    close.addEventListener("click", () => api("close", { view_id: view.id }));
    head.appendChild(close);
    const body = BK.el("div", "modal-body");
    const inputs = Object.fromEntries((view.blocks || []).filter((b) => b.type === "input").map((b) => [b.block_id, b]));
    const ctx = ctxFor({
      errors: view.errors || {},
      onAction: (action) => api("view_action", { view_id: view.id, action, values: BK.readState(body) }),
      suggest: (action_id, block_id, value) => api("suggest", { view_id: view.id, action_id, block_id, value }).then((d) => (d && d.options) || []),
      values,  // what the person entered: kept, as Slack keeps it
      dispatch: (blockId) => Boolean(inputs[blockId] && inputs[blockId].dispatch_action),
    });
    body.appendChild(BK.renderBlocks(view.blocks, ctx));
    const foot = BK.el("div", "modal-foot");
    const cancel = BK.el("button", "bk-button", T.plain(view.close || { type: "plain_text", text: "Cancel" }, ctx));
    cancel.type = "button";
    cancel.addEventListener("click", () => api("close", { view_id: view.id }));
    foot.appendChild(cancel);
    if (view.submit) {
      const submit = BK.el("button", "bk-button bk-primary modal-submit", T.plain(view.submit, ctx));
      submit.type = "button";
      submit.addEventListener("click", () => BK.checkInputs(body, view) && api("submit", { view_id: view.id, values: BK.readState(body) }));
      foot.appendChild(submit);
    }
    modal.append(head, body, foot);
    layer.appendChild(modal);
  }

  function send(text, threadTs) {
    const channel = ui.thread && threadTs ? ui.thread.channel : channelOf();
    if (text.startsWith("/")) return api("command", { channel, text });
    return api("message", { channel, text, thread_ts: threadTs || null });
  }

  function wire() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("composer-input");
      const text = input.value.trim();
      if (text) { input.value = ""; send(text); }
    });
    $("thread-composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("thread-input");
      const text = input.value.trim();
      if (text && ui.thread) { input.value = ""; send(text, ui.thread.ts); }
    });
    $("thread-close").addEventListener("click", () => { ui.thread = null; render(); });
    $("person").addEventListener("change", (event) => {
      ui.user = event.target.value; ui.modalKey = ""; ui.menu = null; remember(); refresh(true);
    });
    for (const [id, step] of [["clock-hour", "hour"], ["clock-day", "day"], ["clock-morning", "morning"]]) {
      $(id).addEventListener("click", () => api("clock", { step }));
    }
    document.querySelectorAll("#tabs button").forEach((button) => button.addEventListener("click", () => {
      ui.tab = button.dataset.tab;
      if (ui.tab === "home") api("home", {});
      render();
    }));
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a");
      if (link && link.dataset.channel) { event.preventDefault(); goTo({ kind: "channel", id: link.dataset.channel }); }
      else if (link && /slack\.com\/archives\//.test(link.href)) { event.preventDefault(); openUrl(link.href); }
    });
  }

  wire();
  remember();
  refresh(true);
  setInterval(refresh, 700);
})();

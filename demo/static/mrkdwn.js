// Slack's mrkdwn and date tokens, rendered as Slack renders them.
// https://api.slack.com/reference/surfaces/formatting
"use strict";

const EMOJI = {
  bell: "🔔", hourglass: "⌛", alarm_clock: "⏰", white_check_mark: "✅", x: "❌",
  warning: "⚠️", new: "🆕", eyes: "👀", hammer_and_wrench: "🛠️", arrow_right: "➡️",
  large_green_circle: "🟢", large_yellow_circle: "🟡", red_circle: "🔴", wave: "👋",
  spiral_calendar_pad: "🗓️", no_entry: "⛔", moneybag: "💰", money_with_wings: "💸",
  chart_with_downwards_trend: "📉", chart_with_upwards_trend: "📈", bar_chart: "📊",
  link: "🔗", memo: "📝", clipboard: "📋", busts_in_silhouette: "👥", bust_in_silhouette: "👤",
  rotating_light: "🚨", heavy_check_mark: "✔️", ballot_box_with_check: "☑️", hourglass_flowing_sand: "⏳",
  zzz: "💤", speech_balloon: "💬", handshake: "🤝", mag: "🔍", tada: "🎉", thumbsup: "👍",
  "+1": "👍", "-1": "👎", information_source: "ℹ️", question: "❓", calendar: "📆",
  inbox_tray: "📥", outbox_tray: "📤", email: "📧", envelope: "✉️", pushpin: "📌",
  dart: "🎯", fire: "🔥", moneybag_: "💰", receipt: "🧾", briefcase: "💼", office: "🏢",
  door: "🚪", rocket: "🚀", sos: "🆘", shield: "🛡️", lock: "🔒", key: "🔑", bulb: "💡",
  white_large_square: "⬜", ladder: "🪜", left_right_arrow: "↔️", repeat: "🔁", paperclip: "📎",
  leftwards_arrow_with_hook: "↩️", raised_hand: "✋", arrows_counterclockwise: "🔄", clock9: "🕘",
  face_with_thermometer: "🤒", palm_tree: "🌴", pencil2: "✏️", arrow_forward: "▶️",
};

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

// Slack escapes &, < and > in text it sends and expects; undo that before re-escaping.
function unescapeSlack(text) {
  return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

const ORDINAL = (n) => n + (["th", "st", "nd", "rd"][((n % 100) - 20) % 10] ||
  ["th", "st", "nd", "rd"][n % 100] || "th");

function dayDiff(date, now, zone) {
  const day = (d) => new Date(d.toLocaleString("en-US", { timeZone: zone })).setHours(0, 0, 0, 0);
  return Math.round((day(date) - day(now)) / 86400000);
}

// <!date^EPOCH^FORMAT|fallback>, in the viewer's time zone, relative to Savedesk's clock.
function formatDate(epoch, format, ctx) {
  const date = new Date(epoch * 1000);
  const zone = ctx.timezone || "UTC";
  const now = ctx.now ? new Date(ctx.now) : new Date();
  const part = (opts) => new Intl.DateTimeFormat("en-US", { timeZone: zone, ...opts }).format(date);
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(date).reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  const dayNum = Number(part({ day: "numeric" }));
  const dateText = `${part({ month: "long" })} ${ORDINAL(dayNum)}, ${part({ year: "numeric" })}`;
  const shortText = part({ month: "short", day: "numeric", year: "numeric" });
  const longText = `${part({ weekday: "long" })}, ${dateText}`;
  const relative = (text) => {
    const diff = dayDiff(date, now, zone);
    return { 0: "today", 1: "tomorrow", "-1": "yesterday" }[diff] || text;
  };
  const secs = Math.round((date - now) / 1000);
  const ago = secs < 0 ? `${humanSpan(-secs)} ago` : `in ${humanSpan(secs)}`;
  const tokens = {
    date_num: `${parts.year}-${parts.month}-${parts.day}`, date: dateText,
    date_short: shortText, date_long: longText, date_pretty: relative(dateText),
    date_short_pretty: relative(shortText), date_long_pretty: relative(longText),
    time: part({ hour: "numeric", minute: "2-digit" }),
    time_secs: part({ hour: "numeric", minute: "2-digit", second: "2-digit" }), ago,
  };
  return format.replace(/\{(\w+)\}/g, (all, name) => tokens[name] ?? all);
}

function humanSpan(secs) {
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [name, size] of units) {
    if (secs >= size) { const n = Math.floor(secs / size); return `${n} ${name}${n > 1 ? "s" : ""}`; }
  }
  return "a moment";
}

function personName(id, ctx) {
  const person = (ctx.people || []).find((p) => p.id === id);
  return person ? person.name : (id === "U0BOT" ? "Savedesk" : id);
}

function channelName(id, ctx) {
  const channel = (ctx.channels || []).find((c) => c.id === id);
  return channel ? channel.name : id;
}

// One <…> token: mentions, channels, dates, special mentions and links.
function renderToken(inner, ctx) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(personName(id, ctx))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return `<a class="mention channel-link" data-channel="${escapeHtml(id)}">#${escapeHtml(label || channelName(id, ctx))}</a>`;
  }
  if (target.startsWith("!date^")) {
    const [, epoch, format] = target.split("^");
    try { return `<time>${escapeHtml(formatDate(Number(epoch), format || "{date}", ctx))}</time>`; }
    catch (e) { return escapeHtml(unescapeSlack(label || "")); }
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHtml(label || "@group")}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  const url = unescapeSlack(target);
  return linkHtml(url, label ? unescapeSlack(label) : url);
}

function linkHtml(url, text) {
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${escapeHtml(text)}</a>`;
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

// mrkdwn -> HTML: code, tokens, then *bold*, _italic_, ~strike~, > quotes, line breaks.
function mrkdwn(text, ctx) {
  const held = [];
  const hold = (html) => { held.push(html); return `\u0000${held.length - 1}\u0000`; };
  let src = String(text || "");
  src = src.replace(/```([\s\S]*?)```/g, (all, code) => hold(`<pre>${escapeHtml(unescapeSlack(code))}</pre>`));
  src = src.replace(/`([^`\n]+)`/g, (all, code) => hold(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  src = src.replace(/<([^<>\n]+)>/g, (all, inner) => hold(renderToken(inner, ctx)));
  let html = escapeHtml(unescapeSlack(src));
  const edge = "(^|[^\\w*_~])";
  const tail = "(?=$|[^\\w*_~])";
  html = html.replace(new RegExp(`${edge}\\*(\\S(?:[^*\\n]*?\\S)?)\\*${tail}`, "g"), "$1<b>$2</b>");
  html = html.replace(new RegExp(`${edge}_(\\S(?:[^_\\n]*?\\S)?)_${tail}`, "g"), "$1<i>$2</i>");
  html = html.replace(new RegExp(`${edge}~(\\S(?:[^~\\n]*?\\S)?)~${tail}`, "g"), "$1<s>$2</s>");
  html = html.split("\n").map((line) => (line.startsWith("&gt;")
    ? `<blockquote>${line.replace(/^&gt; ?/, "")}</blockquote>` : line)).join("\n");
  html = emojify(html).replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return html.replace(/\u0000(\d+)\u0000/g, (all, n) => held[Number(n)]);
}

function plain(textObject, ctx) {
  if (!textObject) return "";
  if (typeof textObject === "string") return escapeHtml(textObject);
  if (textObject.type === "mrkdwn") return mrkdwn(textObject.text, ctx);
  const text = escapeHtml(textObject.text || "");
  return textObject.emoji === false ? text : emojify(text);
}

window.SlackText = { mrkdwn, plain, escapeHtml, formatDate, personName, channelName, emojify, linkHtml };

// Block Kit rendering: layout blocks and their elements, for messages, modals and Home.
// https://api.slack.com/reference/block-kit/blocks
"use strict";

const T = window.SlackText;

function el(tag, cls, html) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function optionText(option, ctx) { return option ? T.plain(option.text, ctx) : ""; }
function optionLabel(option) { return option ? (option.text && option.text.text) || option.value : ""; }

// A stateful element remembers how to read its value into view.state.values.
function stateful(node, blockId, element, read) {
  node.classList.add("bk-stateful");
  node.dataset.block = blockId;
  node.dataset.action = element.action_id || "";
  node.dataset.type = element.type;
  node.readState = () => ({ type: element.type, ...read() });
  return node;
}

// What the person already entered in this element (view.state.values), or undefined: a
// modal shown again, e.g. with `errors` after a submission, keeps it as Slack does.
function entered(ctx, blockId, element) {
  const block = ctx && ctx.values && ctx.values[blockId];
  return block ? block[element.action_id] : undefined;
}

function fire(ctx, blockId, element, extra, value) {
  const action = { action_id: element.action_id, block_id: blockId, type: element.type, extra };
  if (value !== undefined) action.value = value;
  ctx.onAction(action);
}

function renderButton(element, blockId, ctx) {
  const style = element.style ? ` bk-${element.style}` : "";
  const button = el("button", `bk-button${style}`, T.plain(element.text, ctx));
  button.type = "button";
  button.dataset.actionId = element.action_id || "";
  button.addEventListener("click", () => {
    const go = () => {
      if (element.url) ctx.openUrl(element.url);
      fire(ctx, blockId, element, { text: element.text }, element.value);
    };
    if (element.confirm) askFirst(element.confirm, ctx, go);
    else go();
  });
  return button;
}

// A `confirm` object: Slack shows a dialog with its title, text and two buttons; only
// the confirm button sends the action (deny, Escape or a click outside send nothing).
// https://api.slack.com/reference/block-kit/composition-objects#confirm
function askFirst(confirm, ctx, go) {
  const dialog = el("dialog", "bk-confirm");
  const label = (part, fallback) => (confirm[part] ? T.plain(confirm[part], ctx) : fallback);
  dialog.appendChild(el("h3", "bk-confirm-title", label("title", "Are you sure?")));
  dialog.appendChild(el("p", "bk-confirm-text", confirm.text ? T.plain(confirm.text, ctx) : ""));
  const foot = el("div", "bk-confirm-foot");
  const deny = el("button", "bk-button bk-confirm-deny", label("deny", "Cancel"));
  const style = confirm.style ? ` bk-${confirm.style}` : " bk-primary";
  const yes = el("button", `bk-button bk-confirm-yes${style}`, label("confirm", "Yes"));
  for (const b of [deny, yes]) { b.type = "button"; foot.appendChild(b); }
  dialog.appendChild(foot);
  const close = () => { dialog.close(); dialog.remove(); };
  deny.addEventListener("click", close);
  yes.addEventListener("click", () => { close(); go(); });
  dialog.addEventListener("cancel", () => dialog.remove());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) close(); });
  document.body.appendChild(dialog);
  dialog.showModal();
}

function renderStaticSelect(element, blockId, ctx, inInput) {
  const select = el("select", "bk-select");
  const groups = element.option_groups || [{ options: element.options || [] }];
  const placeholder = el("option", "", T.escapeHtml((element.placeholder && element.placeholder.text) || "Select an option"));
  placeholder.value = "";
  select.appendChild(placeholder);
  const all = [];
  for (const group of groups) {
    for (const option of group.options || []) {
      const node = el("option", "", T.escapeHtml(optionLabel(option)));
      node.value = String(all.length);
      all.push(option);
      select.appendChild(node);
    }
  }
  const kept = entered(ctx, blockId, element);
  const initial = kept ? kept.selected_option : element.initial_option;
  if (initial) select.value = String(all.findIndex((o) => o.value === initial.value));
  const read = () => ({ selected_option: all[Number(select.value)] && select.value !== "" ? all[Number(select.value)] : null });
  select.addEventListener("change", () => {
    if (!inInput || ctx.dispatch(blockId)) {
      fire(ctx, blockId, element, { selected_option: read().selected_option });
    }
  });
  return stateful(select, blockId, element, read);
}

function renderExternalSelect(element, blockId, ctx, inInput) {
  const box = el("div", "bk-external");
  const input = el("input", "bk-input");
  input.placeholder = (element.placeholder && element.placeholder.text) || "Start typing…";
  const list = el("div", "bk-suggestions");
  const kept = entered(ctx, blockId, element);
  let chosen = (kept ? kept.selected_option : element.initial_option) || null;
  if (chosen) input.value = optionLabel(chosen);
  let timer = null;
  input.addEventListener("input", () => {
    chosen = null;
    clearTimeout(timer);
    const value = input.value;
    if (value.length < (element.min_query_length ?? 1)) { list.innerHTML = ""; return; }
    timer = setTimeout(async () => {
      const options = await ctx.suggest(element.action_id, blockId, value);
      list.innerHTML = "";
      for (const option of options.flatMap((o) => o.options || [o])) {
        const item = el("div", "bk-suggestion", optionText(option, ctx));
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          chosen = option;
          input.value = optionLabel(option);
          list.innerHTML = "";
          if (!inInput || ctx.dispatch(blockId)) fire(ctx, blockId, element, { selected_option: option });
        });
        list.appendChild(item);
      }
      if (!options.length) list.appendChild(el("div", "bk-suggestion bk-muted", "No matches"));
    }, 200);
  });
  input.addEventListener("blur", () => setTimeout(() => { list.innerHTML = ""; }, 150));
  box.append(input, list);
  return stateful(box, blockId, element, () => ({ selected_option: chosen }));
}

function renderUsersSelect(element, blockId, ctx, inInput) {
  const select = el("select", "bk-select");
  select.appendChild(el("option", "", "Select a person"));
  select.firstChild.value = "";
  for (const person of ctx.people || []) {
    const node = el("option", "", T.escapeHtml(`${person.name} — ${person.title}`));
    node.value = person.id;
    select.appendChild(node);
  }
  const kept = entered(ctx, blockId, element);
  const initial = kept ? kept.selected_user : element.initial_user;
  if (initial) select.value = initial;
  select.addEventListener("change", () => {
    if (!inInput || ctx.dispatch(blockId)) fire(ctx, blockId, element, { selected_user: select.value });
  });
  return stateful(select, blockId, element, () => ({ selected_user: select.value || null }));
}

function renderTextInput(element, blockId, ctx) {
  const multiline = element.multiline;
  const input = el(multiline ? "textarea" : "input", "bk-input");
  if (!multiline) input.type = element.type === "number_input" ? "text" : (element.type === "email_text_input" ? "email" : "text");
  if (element.type === "number_input") input.inputMode = "decimal";
  if (element.placeholder) input.placeholder = element.placeholder.text;
  if (element.max_length) input.maxLength = element.max_length;
  const kept = entered(ctx, blockId, element);
  input.value = (kept ? kept.value : element.initial_value) ?? "";
  return stateful(input, blockId, element, () => ({ value: input.value === "" ? null : input.value }));
}

// "YYYY-MM-DDTHH:MM" as a wall-clock time in `zone` -> epoch seconds (Slack's
// datetimepicker works in the person's own time zone, not the browser's).
function zonedEpoch(value, zone) {
  const asUtc = Date.parse(`${value}:00Z`);
  const probe = new Date(asUtc);
  const shift = new Date(probe.toLocaleString("en-US", { timeZone: zone })) -
    new Date(probe.toLocaleString("en-US", { timeZone: "UTC" }));
  return Math.floor((asUtc - shift) / 1000);
}

function zonedWallClock(epoch, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(epoch * 1000)).reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function renderDatePicker(element, blockId, ctx, inInput) {
  const input = el("input", "bk-input bk-date");
  input.type = element.type === "timepicker" ? "time" : (element.type === "datetimepicker" ? "datetime-local" : "date");
  if (element.initial_date) input.value = element.initial_date;
  if (element.initial_time) input.value = element.initial_time;
  const zone = ctx.timezone || "UTC";
  if (element.initial_date_time) input.value = zonedWallClock(element.initial_date_time, zone);
  const kept = entered(ctx, blockId, element);
  if (kept) {
    const epoch = kept.selected_date_time;
    input.value = (epoch ? zonedWallClock(epoch, zone) : kept.selected_date || kept.selected_time) || "";
  }
  const read = () => {
    if (element.type === "timepicker") return { selected_time: input.value || null };
    if (element.type === "datetimepicker") {
      return { selected_date_time: input.value ? zonedEpoch(input.value, zone) : null };
    }
    return { selected_date: input.value || null };
  };
  input.addEventListener("change", () => {
    if (!inInput || ctx.dispatch(blockId)) fire(ctx, blockId, element, read());
  });
  return stateful(input, blockId, element, read);
}

function renderChoices(element, blockId, ctx, inInput) {
  const box = el("div", "bk-choices");
  const radio = element.type === "radio_buttons";
  const name = `${blockId}-${element.action_id}-${Math.random().toString(36).slice(2)}`;
  const inputs = (element.options || []).map((option) => {
    const label = el("label", "bk-choice");
    const input = el("input");
    input.type = radio ? "radio" : "checkbox";
    input.name = name;
    const kept = entered(ctx, blockId, element);
    const chosen = kept ? (radio ? [kept.selected_option] : kept.selected_options) : null;
    const initial = (chosen || (radio ? [element.initial_option] : element.initial_options) || []).filter(Boolean);
    input.checked = initial.some((o) => o.value === option.value);
    input.addEventListener("change", () => {
      if (!inInput || ctx.dispatch(blockId)) fire(ctx, blockId, element, read());
    });
    const text = el("span", "", T.plain(option.text, ctx));
    label.append(input, text);
    if (option.description) label.appendChild(el("div", "bk-muted", T.plain(option.description, ctx)));
    box.appendChild(label);
    return [input, option];
  });
  const read = () => {
    const picked = inputs.filter(([input]) => input.checked).map(([, option]) => option);
    return radio ? { selected_option: picked[0] || null } : { selected_options: picked };
  };
  return stateful(box, blockId, element, read);
}

function renderOverflow(element, blockId, ctx) {
  const select = el("select", "bk-overflow");
  select.appendChild(el("option", "", "⋯"));
  select.firstChild.value = "";
  (element.options || []).forEach((option, i) => {
    const node = el("option", "", T.escapeHtml(optionLabel(option)));
    node.value = String(i);
    select.appendChild(node);
  });
  select.addEventListener("change", () => {
    const option = element.options[Number(select.value)];
    select.value = "";
    if (option) fire(ctx, blockId, element, { selected_option: option });
  });
  return select;
}

function renderElement(element, blockId, ctx, inInput = false) {
  switch (element.type) {
    case "button": return renderButton(element, blockId, ctx);
    case "static_select": case "multi_static_select": return renderStaticSelect(element, blockId, ctx, inInput);
    case "external_select": return renderExternalSelect(element, blockId, ctx, inInput);
    case "users_select": case "multi_users_select": return renderUsersSelect(element, blockId, ctx, inInput);
    case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input":
      return renderTextInput(element, blockId, ctx);
    case "datepicker": case "timepicker": case "datetimepicker": return renderDatePicker(element, blockId, ctx, inInput);
    case "checkboxes": case "radio_buttons": return renderChoices(element, blockId, ctx, inInput);
    case "overflow": return renderOverflow(element, blockId, ctx);
    case "image": {
      const img = el("img", "bk-thumb");
      img.src = element.image_url; img.alt = element.alt_text || "";
      return img;
    }
    default: return el("span", "bk-muted", `[${T.escapeHtml(element.type)}]`);
  }
}

window.BlockKit = { el, renderElement, optionLabel, zonedEpoch };

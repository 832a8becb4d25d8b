// Layout blocks: header, section, context, divider, actions, image, rich_text, input.
"use strict";

(function () {
  const T = window.SlackText;
  const { el, renderElement } = window.BlockKit;

  function richInline(items, ctx) {
    return (items || []).map((item) => {
      let html;
      switch (item.type) {
        case "text": html = T.emojify(T.escapeHtml(item.text)).replace(/\n/g, "<br>"); break;
        case "link": html = T.linkHtml(item.url, item.text || item.url); break;
        case "user": html = `<span class="mention">@${T.escapeHtml(T.personName(item.user_id, ctx))}</span>`; break;
        case "channel": html = `<a class="mention channel-link" data-channel="${T.escapeHtml(item.channel_id)}">#${T.escapeHtml(T.channelName(item.channel_id, ctx))}</a>`; break;
        case "emoji": html = T.emojify(`:${item.name}:`); break;
        case "date": html = `<time>${T.escapeHtml(T.formatDate(item.timestamp, item.format, ctx))}</time>`; break;
        case "usergroup": html = `<span class="mention">@group</span>`; break;
        case "broadcast": html = `<span class="mention">@${T.escapeHtml(item.range)}</span>`; break;
        default: html = "";
      }
      const style = item.style || {};
      if (style.code) html = `<code>${html}</code>`;
      if (style.bold) html = `<b>${html}</b>`;
      if (style.italic) html = `<i>${html}</i>`;
      if (style.strike) html = `<s>${html}</s>`;
      return html;
    }).join("");
  }

  function richText(block, ctx) {
    const box = el("div", "bk-rich");
    for (const part of block.elements || []) {
      if (part.type === "rich_text_section") box.appendChild(el("div", "", richInline(part.elements, ctx)));
      else if (part.type === "rich_text_quote") box.appendChild(el("blockquote", "", richInline(part.elements, ctx)));
      else if (part.type === "rich_text_preformatted") box.appendChild(el("pre", "", richInline(part.elements, ctx)));
      else if (part.type === "rich_text_list") {
        const list = el(part.style === "ordered" ? "ol" : "ul", `bk-indent-${part.indent || 0}`);
        for (const item of part.elements || []) list.appendChild(el("li", "", richInline(item.elements, ctx)));
        box.appendChild(list);
      }
    }
    return box;
  }

  function section(block, blockId, ctx) {
    const box = el("div", "bk-section");
    const body = el("div", "bk-section-body");
    if (block.text) body.appendChild(el("div", "bk-text", T.plain(block.text, ctx)));
    if (block.fields && block.fields.length) {
      const grid = el("div", "bk-fields");
      for (const field of block.fields) grid.appendChild(el("div", "bk-field", T.plain(field, ctx)));
      body.appendChild(grid);
    }
    box.appendChild(body);
    if (block.accessory) {
      const side = el("div", "bk-accessory");
      side.appendChild(renderElement(block.accessory, blockId, ctx));
      box.appendChild(side);
    }
    return box;
  }

  function input(block, blockId, ctx) {
    const box = el("div", "bk-input-block");
    const optional = block.optional ? ' <span class="bk-muted">(optional)</span>' : "";
    box.appendChild(el("label", "bk-label", T.plain(block.label, ctx) + optional));
    box.appendChild(renderElement(block.element, blockId, ctx, true));
    const error = (ctx.errors || {})[blockId];
    if (error) box.appendChild(el("div", "bk-error", T.escapeHtml(error)));
    if (block.hint) box.appendChild(el("div", "bk-hint", T.plain(block.hint, ctx)));
    if (error) box.classList.add("bk-has-error");
    return box;
  }

  function renderBlock(block, index, ctx) {
    const blockId = block.block_id || `b${index}`;
    switch (block.type) {
      case "header": return el("div", "bk-header", T.plain(block.text, ctx));
      case "divider": return el("hr", "bk-divider");
      case "section": return section(block, blockId, ctx);
      case "context": {
        const box = el("div", "bk-context");
        for (const item of block.elements || []) {
          if (item.type === "image") {
            const img = el("img", "bk-context-img"); img.src = item.image_url; img.alt = item.alt_text || "";
            box.appendChild(img);
          } else box.appendChild(el("span", "", T.plain(item, ctx)));
        }
        return box;
      }
      case "actions": {
        const box = el("div", "bk-actions");
        for (const element of block.elements || []) box.appendChild(renderElement(element, blockId, ctx));
        return box;
      }
      case "image": {
        const box = el("figure", "bk-image");
        if (block.title) box.appendChild(el("figcaption", "", T.plain(block.title, ctx)));
        const img = el("img"); img.src = block.image_url || (block.slack_file && block.slack_file.url) || "";
        img.alt = block.alt_text || "";
        box.appendChild(img);
        return box;
      }
      case "rich_text": return richText(block, ctx);
      case "input": return input(block, blockId, ctx);
      default: return el("div", "bk-muted", `[${T.escapeHtml(block.type)} block]`);
    }
  }

  function renderBlocks(blocks, ctx) {
    const box = el("div", "bk-blocks");
    (blocks || []).forEach((block, index) => box.appendChild(renderBlock(block, index, ctx)));
    return box;
  }

  // The view.state.values Slack would send for what is on screen in `root`.
  function readState(root) {
    const values = {};
    root.querySelectorAll(".bk-stateful").forEach((node) => {
      (values[node.dataset.block] ||= {})[node.dataset.action] = node.readState();
    });
    return values;
  }

  // The values to show when `view` replaces what is on screen in `root` (an update, or
  // errors after a submission): Slack keeps what the person typed in an input whose
  // block_id, action_id and element type are unchanged; the rest starts afresh.
  function keepTyped(root, view) {
    const values = { ...((view.state && view.state.values) || {}) };
    const typed = root ? readState(root) : {};
    for (const block of view.blocks || []) {
      const element = block.type === "input" && block.element;
      const was = element && typed[block.block_id] && typed[block.block_id][element.action_id];
      if (was && was.type === element.type) {
        values[block.block_id] = { ...values[block.block_id], [element.action_id]: was };
      }
    }
    return values;
  }

  // What Slack's client refuses before sending a submission: a required input (not
  // `optional`) left empty, and a number_input that is not a number in its bounds.
  function inputProblem(block, value) {
    const entered = Object.entries(value).filter(([key, v]) => key !== "type" && v !== null && v !== "" && !(Array.isArray(v) && !v.length));
    if (!entered.length) return block.optional ? null : "Please complete this required field.";
    const element = block.element;
    if (element.type !== "number_input") return null;
    const shape = element.is_decimal_allowed ? /^-?\d+(\.\d+)?$/ : /^-?\d+$/;
    const number = Number(value.value);
    if (!shape.test(String(value.value).trim())) return element.is_decimal_allowed ? "Enter a number." : "Enter a whole number.";
    if (element.min_value !== undefined && number < Number(element.min_value)) return `Enter ${element.min_value} or more.`;
    if (element.max_value !== undefined && number > Number(element.max_value)) return `Enter ${element.max_value} or less.`;
    return null;
  }

  // Shows each such problem under its field, as Slack does; true when there is none.
  function checkInputs(root, view) {
    const values = readState(root);
    let fine = true;
    for (const block of view.blocks || []) {
      if (block.type !== "input" || !block.element) continue;
      const node = root.querySelector(`.bk-stateful[data-block="${CSS.escape(block.block_id)}"]`);
      const box = node && node.closest(".bk-input-block");
      if (!box) continue;
      box.querySelectorAll(".bk-error.bk-client").forEach((e) => e.remove());
      if (!box.querySelector(".bk-error")) box.classList.remove("bk-has-error");
      const problem = inputProblem(block, (values[block.block_id] || {})[block.element.action_id] || {});
      if (problem) {
        box.insertBefore(el("div", "bk-error bk-client", problem), node.nextSibling);
        box.classList.add("bk-has-error");
        fine = false;
      }
    }
    return fine;
  }

  window.BlockKit.checkInputs = checkInputs;
  window.BlockKit.renderBlocks = renderBlocks;
  window.BlockKit.readState = readState;
  window.BlockKit.keepTyped = keepTyped;
})();

// Message lists: they keep to their newest message as images load, and a file's image is
// made once, so a list redrawn while messages arrive keeps its height.
"use strict";

(function () {
  const BK = window.BlockKit;

  // A list that was at its newest message stays there while images (the report's chart)
  // load and grow it; a list the person scrolled up stays where they put it. Scroll events
  // arrive late: one for our own scroll, seen after an image grew the list, must not read
  // as the person leaving the bottom (it left the chart cut off), so only a scroll to
  // somewhere else than where we put the list counts.
  function stickToBottom(box) {
    if (box.dataset.wired) return;
    box.dataset.wired = "1";
    box.addEventListener("scroll", () => {
      if (String(box.scrollTop) === box.dataset.placed) { box.dataset.stick = "1"; return; }
      box.dataset.stick = atBottom(box) ? "1" : "";
    });
    box.addEventListener("load", () => { if (box.dataset.stick) toBottom(box); }, true);
  }
  const atBottom = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  function toBottom(box) {
    box.scrollTop = box.scrollHeight;
    box.dataset.placed = String(box.scrollTop);
    box.dataset.stick = "1";
  }
  function scrollNewest(box, jump) {
    stickToBottom(box);
    if (jump || box.dataset.stick) toBottom(box);
  }

  // A file's image element is made once and reused by every render, so a list redrawn
  // while new messages arrive keeps its height (no reload, no jump).
  const images = new Map();
  function imageOf(file) {
    if (!images.has(file.url_private)) {
      const img = BK.el("img");
      img.src = file.url_private;
      img.alt = file.title || file.name;
      images.set(file.url_private, img);
    }
    return images.get(file.url_private);
  }

  window.MessageList = { scrollNewest, imageOf };
})();

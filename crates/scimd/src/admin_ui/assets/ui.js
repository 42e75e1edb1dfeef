// scimd admin: the copy buttons (no inline script: the pages' CSP
// allows scripts from this origin's files only).
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    // Without clipboard permission (plain HTTP): select the text to copy by hand.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  const label = button.textContent;
  button.textContent = "Copied";
  button.dataset.copied = "true";
  setTimeout(() => { button.textContent = label; }, 2000);
});

// The live tail of events: a long poll of the feed; each new event becomes
// a row at the top (text only), at most 500 rows kept.
(function tail() {
  const table = document.getElementById("tail");
  if (!table) return;
  const body = table.tBodies[0];
  const state = document.getElementById("tail-state");
  let after = Number(table.dataset.after) || 0;
  let failures = 0;
  const cell = (tr, text, tag) => {
    const td = document.createElement("td");
    if (tag) {
      const inner = document.createElement(tag);
      inner.textContent = text;
      td.appendChild(inner);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
    return td;
  };
  async function poll() {
    try {
      const resp = await fetch(`${table.dataset.poll}?after=${after}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!resp.ok || !(resp.headers.get("content-type") || "").includes("json")) throw new Error(String(resp.status));
      const answer = await resp.json();
      for (const e of answer.events) {
        const tr = document.createElement("tr");
        tr.className = "new";
        cell(tr, String(e.seq));
        cell(tr, e.at);
        cell(tr, e.type, "code");
        const about = cell(tr, "");
        const a = document.createElement("a");
        a.href = e.link;
        a.textContent = e.summary;
        about.appendChild(a);
        body.insertBefore(tr, body.firstChild);
      }
      while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
      const empty = document.getElementById("tail-empty");
      if (empty && answer.events.length) empty.remove();
      after = answer.next;
      table.dataset.after = String(after);
      state.textContent = answer.missed ? "Live (some older events were pruned before they could be shown)." : "Live.";
      failures = 0;
      setTimeout(poll, 0);
    } catch (_) {
      failures += 1;
      state.textContent = failures > 5 ? "Stopped: reload the page to resume." : "Reconnecting…";
      if (failures <= 5) setTimeout(poll, 2000 * failures);
    }
  }
  poll();
})();

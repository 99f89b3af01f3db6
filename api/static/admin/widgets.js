/* The policy owners' console: small pieces the page areas share — table cells, status badges,
 * select options, and the message waiting for the next view of an item. */

import { el } from "../shared/dom.js";
import { ANSWER, STATUS_LABEL } from "./vocabulary.js";

/** A table cell; `label` names the column on narrow screens, where rows become cards. */
export function cell(tr, label, content, cls) {
  const td = el("td", cls);
  td.setAttribute("data-label", label);
  if (content instanceof Node) td.appendChild(content);
  else if (content !== undefined && content !== null) td.textContent = String(content);
  tr.appendChild(td);
  return td;
}

export function emptyRow(tbody, columns, text) {
  const tr = el("tr", "ga-empty-row");
  const td = el("td", null, text);
  td.colSpan = columns;
  tr.appendChild(td);
  tbody.appendChild(tr);
}

export const badge = (status, label) => el("span", "ga-badge is-" + status, label || STATUS_LABEL[status] || status);

export function fillSelect(select, pairs) {
  pairs.forEach(([value, label]) => {
    const option = el("option", null, label);
    option.value = value;
    select.appendChild(option);
  });
}

/** How a question is answered: "#12 title" when an item answers it, else what the bot did. */
export function outcomeText(o) {
  if (!o) return "—";
  if (o.item_id) return "#" + o.item_id + " " + (o.title || "");
  return ANSWER[o.status] || o.status || "—";
}

export const count = (value) => (Array.isArray(value) ? value.length : Number(value) || 0);

/* A message for the next view of one item (e.g. "saved" after the editor goes back to it). */
let pending = null;

export function setPending(id, message, kind) { pending = { id, message, kind }; }

export function takePending(id) {
  const p = pending && pending.id === id ? pending : null;
  pending = null;
  return p;
}

/* The policy sources under an answer: a folded list, one document a line. */

import { el } from "../shared/dom.js";

function sourceLine(s) {
  return ["《" + (s.title || "未命名") + "》", s.doc_number, s.department, s.date].filter(Boolean).join(" ");
}

/** Appends 来源（n） to `box` when there are sources; `open` unfolds it. */
export function renderSources(box, sources, open) {
  if (!sources || !sources.length) return;
  const details = el("details", "gc-sources");
  if (open) details.open = true;
  details.appendChild(el("summary", null, "来源（" + sources.length + "）"));
  const list = el("ul");
  sources.forEach((s) => {
    const item = el("li", null, sourceLine(s));
    if (s.snippet) item.title = s.snippet;
    list.appendChild(item);
  });
  details.appendChild(list);
  box.appendChild(details);
}

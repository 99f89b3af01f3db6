/* DOM helpers shared by the staff pages. Everything from the server is set as text, never as markup. */

export function $(id) { return document.getElementById(id); }

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

export function show(node, on) { node.hidden = !on; }

export function button(text, cls, testid) {
  const b = el("button", cls, text);
  b.type = "button";
  if (testid) b.setAttribute("data-testid", testid);
  return b;
}

/** A message line: kind is "error", "ok" or nothing (information); an empty message hides it. */
export function note(node, message, kind) {
  node.textContent = message || "";
  node.classList.toggle("is-error", kind === "error");
  node.classList.toggle("is-ok", kind === "ok");
  show(node, !!message);
}

/** Each element matching `selector`, as an array. */
export function all(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

/* The policy owners' console: the hash router (#items, #item/12, #edit/12, #new/qa, #import, #gold,
 * #gaps, #analytics, #audit) and the flash message at the top of the page. */

import { $, all, note, show } from "../shared/dom.js";
import { currentUser, mayUse } from "./session.js";

// name -> {tab, view, enter(arg), leave()}; registered by main.js from the page areas.
const routes = {};
let current = null;
let flashKeep = false;

export function route(name, spec) { routes[name] = spec; }

/** A message at the top of the page; `keep`: it survives the next navigation. */
export function flash(message, kind, keep) {
  note($("flash"), message, kind);
  flashKeep = !!keep;
}

export function go(hash) {
  if (location.hash === hash) dispatch();
  else location.hash = hash;
}

const firstTab = () => ["items", "gaps", "analytics", "audit"].filter(mayUse)[0] || "analytics";

/** Show the view the address names (or the user's first tab when they may not use it). */
export function dispatch() {
  if (!currentUser()) return;
  const hash = (location.hash || "").replace(/^#/, "");
  let parts = hash.split("/");
  let spec = routes[parts[0]];
  if (!spec || !mayUse(spec.tab)) {
    const home = "#" + firstTab();
    if (location.hash !== home) { location.hash = home; return; }
    spec = routes[firstTab()];
    parts = [firstTab()];
  }
  if (!flashKeep) note($("flash"), "");
  flashKeep = false;
  if (current && current.leave && current !== spec) current.leave();
  current = spec;
  all(".ga-view").forEach((view) => show(view, view.id === spec.view));
  all("#tabs [data-tab]").forEach((tab) => {
    tab.setAttribute("aria-selected", String(tab.getAttribute("data-tab") === spec.tab));
  });
  spec.enter(decodeURIComponent(parts.slice(1).join("/")));
}

/** Leave the current view (on logout: nothing is shown until the next login). */
export function leaveAll() {
  if (current && current.leave) current.leave();
  current = null;
}

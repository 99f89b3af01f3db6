/* The policy owners' console: the HTTP client, the logged-in user and what their role may do.
 * The CSRF token lives in the client (shared/http.js); GET /api/admin/me gives it back after a reload. */

import { createClient } from "../shared/http.js";
import { REQUEST_FIELDS } from "./vocabulary.js";

export const LOGIN_PATH = "/api/admin/login";

let user = null;
let expired = null;

export const client = createClient({
  loginPath: LOGIN_PATH,
  fields: REQUEST_FIELDS,
  onExpired: (message) => {
    user = null;
    if (expired) expired(message);
  },
});

export const api = (method, path, body) => client.api(method, path, body);
export const upload = (path, form) => client.upload(path, form);

/** An item's API address: "/api/admin/items/12", or below it with `tail` ("/versions"). */
export const itemPath = (id, tail) => "/api/admin/items/" + encodeURIComponent(id) + (tail || "");

/** What to do when the session runs out under a request (main.js: back to the login form). */
export function onExpired(fn) { expired = fn; }

export function currentUser() { return user; }

export function signIn(who, csrf) {
  client.begin(csrf);
  user = who;
}

export function signOut() {
  if (client.loggedIn) client.end();
  user = null;
}

/* ---------------------------------------------------------------- roles ------------------- */
const TAB_ROLES = {
  items: ["editor", "reviewer", "admin"],
  import: ["editor", "reviewer", "admin"],
  gold: ["editor", "reviewer", "admin"],
  gaps: ["editor", "reviewer", "admin", "supervisor"],
  analytics: ["editor", "reviewer", "admin", "supervisor"],
  audit: ["reviewer", "admin", "supervisor"],
};

export const role = () => (user ? user.role : "");
export const isAdmin = () => role() === "admin";
export const canEdit = () => ["editor", "reviewer", "admin"].includes(role());
export const canReview = () => role() === "reviewer" || role() === "admin";
/** Admins and supervisors see every department and may pick one; the others see their own. */
export const seesAllDepartments = () => role() === "admin" || role() === "supervisor";
export const mayUse = (tab) => (TAB_ROLES[tab] || []).includes(role());

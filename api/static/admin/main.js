/* govbot policy-owner console (/admin): the entry. Boots the page, logs in and out, shows the tabs
 * the role may use, and wires the page areas (each exports `setup`, its `routes` and, where the
 * role changes it, `onLogin`) into the router. No build step, no dependencies.
 * Everything from the server (content written by staff, citizens' questions) is rendered as text,
 * never as markup. */

import { $, all, note, show } from "../shared/dom.js";
import { submitLogin } from "../shared/login.js";
import { ROLE_LABEL } from "./vocabulary.js";
import { LOGIN_PATH, api, mayUse, onExpired, signIn, signOut } from "./session.js";
import { dispatch, go, leaveAll, route } from "./router.js";
import * as items from "./items.js";
import * as item from "./item.js";
import * as editor from "./editor.js";
import * as importer from "./import.js";
import * as gold from "./gold.js";
import * as insights from "./insights.js";
import * as audit from "./audit.js";

const AREAS = [items, item, editor, importer, gold, insights, audit];

function showLogin(message, kind) {
  show($("boot-view"), false);
  show($("app"), false);
  show($("tabs"), false);
  show($("user-box"), false);
  show($("login-view"), true);
  note($("login-error"), message || "", kind || (message ? "error" : null));
  $("login-pass").value = "";
  $("login-otp").value = "";
  show($("login-otp-box"), false);
  $("login-user").focus();
}

function loggedOut(message, kind) {
  signOut();
  leaveAll();
  showLogin(message, kind);
}

function loggedIn(user, csrf) {
  signIn(user, csrf);
  $("who").textContent = user.username + "（" + (ROLE_LABEL[user.role] || user.role) +
    (user.department ? " · " + user.department : "") + "）";
  all("#tabs [data-tab]").forEach((tab) => show(tab, mayUse(tab.getAttribute("data-tab"))));
  AREAS.forEach((area) => { if (area.onLogin) area.onLogin(user); });  // the areas adapt to the role
  show($("boot-view"), false);
  show($("login-view"), false);
  show($("tabs"), true);
  show($("user-box"), true);
  show($("app"), true);
  dispatch();
}

function login(event) {
  return submitLogin(event, async (username, password) => {
    const otp = $("login-otp").value.trim();
    const data = await api("POST", LOGIN_PATH, otp ? { username, password, otp } : { username, password });
    loggedIn(data.user, data.csrf_token);
  }, (err) => {
    if (err.data && err.data.otp_required) {  // the password was right: this account also needs its code
      show($("login-otp-box"), true);
      $("login-otp").focus();
    }
    return err.status === 401 ? (err.data && err.data.detail) || "用户名或密码错误。" : err.message;
  });
}

async function logout() {
  try { await api("POST", "/api/admin/logout"); } catch (err) { /* gone already: fine */ }
  loggedOut("已退出登录。", "ok");
}

async function boot() {
  let data = null;
  try { data = await api("GET", "/api/admin/me"); } catch (err) { data = null; }
  if (data && data.user) loggedIn(data.user, data.csrf_token);
  else showLogin();
}

AREAS.forEach((area) => {
  area.setup();
  Object.entries(area.routes).forEach(([name, spec]) => route(name, spec));
});
onExpired((message) => loggedOut(message));
$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
all("#tabs [data-tab]").forEach((tab) => tab.addEventListener("click", () => go("#" + tab.getAttribute("data-tab"))));
window.addEventListener("hashchange", dispatch);
boot();

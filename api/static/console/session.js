/* Login, logout and the two tabs. Only operators and supervisors may use the console; a session
 * that expires (a 401 on any request) takes the page back to the login form. */

import { $, show, note } from "../shared/dom.js";
import { ApiError } from "../shared/http.js";
import { submitLogin } from "../shared/login.js";
import { client, state, onExpired } from "./state.js";
import { pollQueue, clearQueue } from "./queue.js";
import { closeConversation } from "./conversation.js";
import { resetAssist } from "./assist.js";

/** "login", "chat" or "phone"; the assist box moves to the tab that shows. */
export function showView(name) {
  const loggedIn = name !== "login";
  show($("login-view"), !loggedIn);
  show($("tabs"), loggedIn);
  show($("user-box"), loggedIn);
  show($("chat-view"), name === "chat");
  show($("phone-view"), name === "phone");
  $("tab-chat").setAttribute("aria-selected", String(name === "chat"));
  $("tab-phone").setAttribute("aria-selected", String(name === "phone"));
  const assist = $("assist");
  const slot = name === "phone" ? $("assist-slot-phone") : $("assist-slot-chat");
  if (assist.parentNode !== slot) slot.appendChild(assist);
}

function stopTimers() {
  clearTimeout(state.queueTimer);
  clearTimeout(state.historyTimer);
  clearTimeout(state.assistTimer);
}

function loggedOut(message) {
  client.end();
  state.user = null;
  clearQueue();
  stopTimers();
  closeConversation();
  resetAssist();
  showView("login");
  note($("login-error"), message || "", message ? "error" : null);
  $("login-pass").value = "";
  $("login-user").focus();
}

function whoText(user) {
  return user.username + "（" + (user.role === "supervisor" ? "班长" : "坐席") +
    (user.department ? " · " + user.department : "") + "）";
}

function start(user, csrf) {
  client.begin(csrf);
  state.user = user;
  $("login-pass").value = "";
  $("who").textContent = whoText(user);
  showView("chat");
  pollQueue(client.generation);
}

function login(event) {
  return submitLogin(event, (username, password) => client.api("POST", "/api/operator/login", { username, password })
    .then((data) => {
      const role = data.user && data.user.role;
      if (role !== "operator" && role !== "supervisor") {
        throw new ApiError(403, "该账号不是坐席或班长账号，不能使用坐席工作台。");
      }
      start(data.user, data.csrf_token);
    }));
}

/** After a reload (F5): the session cookie is still there; the server gives the CSRF token back. */
export function resume() {
  return client.api("GET", "/api/operator/me").then((data) => { start(data.user, data.csrf_token); return true; }, () => false);
}

function logout() {
  client.api("POST", "/api/operator/logout").then(null, () => { /* gone already: fine */ })
    .then(() => loggedOut("已退出登录。"));
}

export function initSession() {
  onExpired(loggedOut);
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("tab-chat").addEventListener("click", () => showView("chat"));
  $("tab-phone").addEventListener("click", () => { showView("phone"); $("assist-text").focus(); });
}

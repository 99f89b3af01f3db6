/* The staff pages' login form (#login-user, #login-pass, #login-error, #login-submit): read and
 * check the fields, keep the button disabled while `send(username, password)` runs, show its error. */
import { $, note } from "./dom.js";

export async function submitLogin(event, send, explain = (err) => err.message) {
  event.preventDefault();
  const username = $("login-user").value.trim();
  const password = $("login-pass").value;
  if (!username || !password) { note($("login-error"), "请输入用户名和密码。", "error"); return; }
  $("login-submit").disabled = true;
  note($("login-error"), "");
  try {
    await send(username, password);
  } catch (err) {
    note($("login-error"), explain(err), "error");
  } finally {
    $("login-submit").disabled = false;
  }
}

/* What the operator does to the open conversation: claim it, reply, release it to the bot,
 * transfer it to another department, file a work order from it. */

import { $, show, note, all } from "../shared/dom.js";
import { client, state, convPath } from "./state.js";
import { mine, renderHead, loadPacket } from "./conversation.js";
import { kickHistory } from "./transcript.js";

/** Runs `request` with `buttonNode` disabled; `done(data)` if the same conversation is still open. */
function act(buttonNode, request, done) {
  const epoch = state.epoch;
  buttonNode.disabled = true;
  return request().then((data) => {
    if (epoch === state.epoch) done(data);
  }, (err) => {
    if (epoch !== state.epoch) return;
    note($("conv-msg"), err.message, "error");
    if (err.status === 409 || err.status === 403) loadPacket(epoch, false);
  }).then(() => { buttonNode.disabled = false; renderHead(); });  // renderHead re-decides 接手/结束人工
}

function claim() {
  const id = state.conv;
  act($("btn-claim"), () => client.api("POST", convPath(id, "/claim")), (data) => {
    state.info.status = "human"; state.info.operator = data.operator;
    note($("conv-msg"), "已接手该会话，现在可以与市民对话。", "ok");
    renderHead();
    $("send-text").focus();
    kickHistory();
  });
}

function release() {
  const id = state.conv;
  // seen_seq: a message the citizen sent that this page has not shown yet stops the release (409)
  act($("btn-release"), () => client.api("POST", convPath(id, "/release"), { seen_seq: state.lastSeq }), () => {
    state.info.status = "bot"; state.info.operator = "";
    note($("conv-msg"), "已结束人工服务，会话交还智能助手。", "ok");
    kickHistory();
  });
}

function transfer(event) {
  event.preventDefault();
  const id = state.conv;
  const department = $("transfer-dept").value.trim();
  if (!department) { note($("conv-msg"), "请从列表中选择要转交的部门。", "error"); return; }
  act($("btn-transfer"), () => client.api("POST", convPath(id, "/transfer"), { department }), (data) => {
    state.info.status = "waiting"; state.info.operator = ""; state.info.department = data.department;
    show($("transfer-form"), false);
    $("transfer-dept").value = "";
    note($("conv-msg"), "已转交至" + data.department + "，会话重新排队。", "ok");
  });
}

/** The departments a conversation may go to (the directory), as the transfer box's choices. */
function loadDepartments() {
  client.api("GET", "/api/operator/departments").then((data) => {
    const list = $("transfer-depts");
    while (list.firstChild) list.removeChild(list.firstChild);
    data.departments.forEach((name) => { const option = document.createElement("option"); option.value = name; list.appendChild(option); });
  }, () => { /* the server checks the name anyway */ });
}

/** Opens or closes the work order form; an empty content is prefilled with what the citizen said. */
function toggleWorkOrder() {
  const form = $("wo-form");
  show(form, form.hidden);
  if (form.hidden) return;
  if (!$("wo-content").value) {
    const asked = all(".gc-msg.is-citizen .gc-msg-text", $("chat-log"))
      .map((n) => n.textContent).filter((text) => text.charAt(0) !== "［");
    $("wo-content").value = asked.join("\n").slice(0, 4000);
  }
  $("wo-content").focus();
}

function submitWorkOrder(event) {
  event.preventDefault();
  const id = state.conv;
  const body = { type: $("wo-type").value, content: $("wo-content").value.trim(), address: $("wo-address").value.trim(),
                 phone: $("wo-phone").value.trim(), callback: $("wo-callback").checked };
  if (body.content.length < 2) { note($("wo-result"), "请填写工单内容（至少2个字）。", "error"); return; }
  const epoch = state.epoch;
  $("wo-submit").disabled = true;
  note($("wo-result"), "");
  client.api("POST", "/api/operator/workorders?conversation_id=" + encodeURIComponent(id || ""), body)
    .then((data) => {
      if (epoch !== state.epoch) return;
      note($("wo-result"), "工单已创建，编号 " + data.tracking_number + "，派往 " + data.department + "。", "ok");
      $("wo-result").setAttribute("data-tracking", data.tracking_number);
    }, (err) => {
      if (epoch === state.epoch) note($("wo-result"), "工单创建失败：" + err.message, "error");
    })
    .then(() => { $("wo-submit").disabled = false; });
}

function send(event) {
  event.preventDefault();
  const text = $("send-text").value.trim();
  if (!text || !state.conv) return;
  if (!mine()) { note($("conv-msg"), "请先接手该会话，再向市民发送消息。", "error"); return; }
  const id = state.conv;
  const epoch = state.epoch;
  $("send-btn").disabled = true;
  client.api("POST", convPath(id, "/messages"), { text })
    .then(() => {
      if (epoch !== state.epoch) return;
      if ($("send-text").value.trim() === text) $("send-text").value = "";
      kickHistory();
    }, (err) => {
      if (epoch !== state.epoch) return;
      note($("conv-msg"), "发送失败：" + err.message, "error");
      if (err.status === 409) loadPacket(epoch, false);
    })
    .then(() => { renderHead(); });
}

export function initActions() {
  $("btn-claim").addEventListener("click", claim);
  $("btn-release").addEventListener("click", release);
  $("btn-transfer").addEventListener("click", () => {
    const form = $("transfer-form");
    show(form, form.hidden);
    if (!form.hidden) { loadDepartments(); $("transfer-dept").focus(); }
  });
  $("transfer-cancel").addEventListener("click", () => show($("transfer-form"), false));
  $("transfer-form").addEventListener("submit", transfer);
  $("btn-workorder").addEventListener("click", toggleWorkOrder);
  $("wo-cancel").addEventListener("click", () => show($("wo-form"), false));
  $("wo-form").addEventListener("submit", submitWorkOrder);
  $("send-form").addEventListener("submit", send);
  $("send-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("send-form").requestSubmit(); }
  });
}

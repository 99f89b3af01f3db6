/* The open conversation: its head (status, channel, department, who holds it), opening and
 * closing it, and keeping it in step with the queue. `state.epoch` bumps whenever another one opens,
 * so that answers for the one before are dropped. */

import { $, clear, show, note } from "../shared/dom.js";
import { client, state, convPath } from "./state.js";
import { STATUS, CHANNEL } from "./labels.js";
import { clearPacket, renderPacket } from "./packet.js";
import { addMessage, pollHistory } from "./transcript.js";

/** Whether this operator holds the open conversation. */
export function mine() {
  return !!(state.info && state.user && state.info.status === "human" && state.info.operator === state.user.username);
}

export function renderHead() {
  const info = state.info;
  if (!info) return;
  $("conv-id").textContent = state.conv;
  const badge = $("conv-status");
  badge.textContent = STATUS[info.status] || info.status;
  badge.className = "gc-badge is-" + info.status;
  const meta = [CHANNEL[info.channel] || info.channel || "", info.department ? "部门：" + info.department : "未分配部门"];
  if (info.status === "human" && info.operator) meta.push(mine() ? "由我接手" : "接手坐席：" + info.operator);
  $("conv-meta").textContent = meta.filter(Boolean).join(" · ");
  $("btn-claim").disabled = mine();
  $("btn-release").disabled = !mine();
  $("send-btn").disabled = !mine();
  $("send-text").placeholder = mine() ? "输入回复，Enter 发送，Shift+Enter 换行"
                                      : "接手会话后可向市民发送消息（可先在此编辑）";
}

/** The queue's line for the open conversation: follow it when the status or holder changed. */
export function syncFromQueue(c) {
  if (!state.info) return;
  state.missing = false;
  if (state.info.status !== c.status || state.info.operator !== c.operator || state.info.department !== c.department) {
    state.info.status = c.status; state.info.operator = c.operator; state.info.department = c.department;
    renderHead();
  }
}

export function conversationLeftQueue() {
  // released to the bot, or transferred to another department: ask once what it is now
  if (!state.info || state.missing || state.info.status === "bot") return;
  state.missing = true;
  loadPacket(state.epoch, true);
}

/** Loads the packet and the transcript so far; `quiet`: the conversation left the queue. */
export function loadPacket(epoch, quiet) {
  const id = state.conv;
  return client.api("GET", convPath(id)).then((p) => {
    if (epoch !== state.epoch) return;
    state.info = { status: p.status, operator: p.operator || "", department: p.department || "", channel: p.channel };
    renderHead();
    renderPacket(p);
    (p.transcript || []).forEach(addMessage);
    if (quiet && p.status === "bot") note($("conv-msg"), "该会话已结束人工服务，由智能助手继续服务。");
  }, (err) => {
    if (epoch !== state.epoch) return;
    note($("conv-msg"), (quiet ? "该会话已不在您的队列中：" : "资料包加载失败：") + err.message, "error");
  });
}

export function closeConversation() {
  state.epoch += 1;
  state.conv = null; state.info = null; state.lastSeq = 0; state.seen = {}; state.missing = false;
  clearTimeout(state.historyTimer);
  show($("conv"), false);
  show($("conv-empty"), true);
}

/** Opens conversation `id` (false when it is already open). */
export function openConversation(id) {
  if (state.conv === id) return false;
  closeConversation();
  const epoch = state.epoch;
  state.conv = id;
  clear($("chat-log"));
  clearPacket();
  note($("conv-msg"), "");
  show($("transfer-form"), false);
  show($("wo-form"), false);
  $("wo-form").reset();
  note($("wo-result"), "");
  $("send-text").value = "";
  $("conv-id").textContent = id;
  $("conv-status").textContent = "加载中……";
  $("conv-status").className = "gc-badge";
  $("conv-meta").textContent = "";
  show($("conv-empty"), false);
  show($("conv"), true);
  loadPacket(epoch).then(() => pollHistory(epoch));
  return true;
}

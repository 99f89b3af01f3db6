/* The open conversation's transcript: messages in sequence order, each shown once, polled every
 * second while the conversation stays open. */

import { $, el, button } from "../shared/dom.js";
import { clock } from "../shared/format.js";
import { client, state, convPath, HISTORY_MS } from "./state.js";
import { ROLE, PAYLOAD, confidence } from "./labels.js";
import { renderSources } from "./sources.js";
import { runAssist } from "./assist.js";

/** A citizen's button press ("/request_human") as words; everything else as it was said. */
function shownText(m) {
  const match = m.role === "citizen" && /^\/([a-z_]+)/.exec(m.text || "");
  if (match) return "［点击按钮：" + (PAYLOAD[match[1]] || match[1]) + "］";
  return m.text;
}

export function addMessage(m) {
  if (!m || state.seen[m.seq]) return;
  state.seen[m.seq] = true;
  state.lastSeq = Math.max(state.lastSeq, m.seq);
  const log = $("chat-log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const box = el("div", "gc-msg is-" + m.role);
  box.setAttribute("data-seq", String(m.seq));
  const head = el("div", "gc-msg-head");
  head.appendChild(el("span", "gc-who", ROLE[m.role] || m.role));
  head.appendChild(el("span", "gc-time", clock(m.time)));
  const conf = m.role === "bot" ? confidence(m.confidence) : "";
  if (conf) head.appendChild(el("span", "gc-conf", conf));
  box.appendChild(head);
  box.appendChild(el("div", "gc-msg-text", shownText(m)));
  renderSources(box, m.sources);
  if (m.role === "citizen" && m.text && m.text.charAt(0) !== "/") {
    const help = button("辅助", "gc-link");
    help.title = "用这句话查询坐席辅助建议";
    help.addEventListener("click", () => { $("assist-text").value = m.text; runAssist(true); });
    head.appendChild(help);
  }
  const after = Array.from(log.children).find((node) => Number(node.getAttribute("data-seq")) > m.seq) || null;
  log.insertBefore(box, after);
  if (atBottom || m.role === "operator") log.scrollTop = log.scrollHeight;
}

export function pollHistory(epoch) {
  if (epoch !== state.epoch) return;
  clearTimeout(state.historyTimer);
  const id = state.conv;
  client.api("GET", convPath(id, "/history?after=" + state.lastSeq))
    .then((data) => {
      if (epoch === state.epoch) ((data && data.messages) || []).forEach(addMessage);
    }, () => { /* a missed poll: the next one catches up */ })
    .then(() => {
      if (epoch === state.epoch) state.historyTimer = setTimeout(() => pollHistory(epoch), HISTORY_MS);
    });
}

/** Polls now (after the operator did something), not at the next tick. */
export function kickHistory() { pollHistory(state.epoch); }

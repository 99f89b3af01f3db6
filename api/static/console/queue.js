/* The queue: the conversations waiting for or served by a person, polled every two seconds, and
 * (for supervisors) the live numbers over every queue. Items are kept and moved, not rebuilt, so
 * that a click never lands on a line that was just replaced. */

import { $, el, clear, show, button, note } from "../shared/dom.js";
import { duration } from "../shared/format.js";
import { client, state, QUEUE_MS } from "./state.js";
import { STATUS, CHANNEL } from "./labels.js";
import { openConversation, syncFromQueue, conversationLeftQueue } from "./conversation.js";

const queueItems = {};

function select(item, selected) {
  item.button.classList.toggle("is-selected", selected);
  if (selected) item.button.setAttribute("aria-current", "true"); else item.button.removeAttribute("aria-current");
}

function queueItem(id) {
  if (queueItems[id]) return queueItems[id];
  const li = el("li");
  const b = button(null, "gc-queue-item");
  b.addEventListener("click", () => {
    if (openConversation(id)) Object.keys(queueItems).forEach((key) => select(queueItems[key], key === id));
  });
  const top = el("div", "gc-qi-top");
  const name = el("span", "gc-qi-id", id);
  const badge = el("span", "gc-badge");
  top.appendChild(name); top.appendChild(badge);
  const question = el("div", "gc-qi-question");
  const meta = el("div", "gc-qi-meta");
  const wait = el("div", "gc-qi-wait");
  b.appendChild(top); b.appendChild(question); b.appendChild(meta); b.appendChild(wait);
  li.appendChild(b);
  queueItems[id] = { li, button: b, badge, question, meta, wait };
  return queueItems[id];
}

function renderQueue(list) {
  const node = $("queue-list");
  const keep = {};
  let waiting = 0;
  list.forEach((c, index) => {
    keep[c.id] = true;
    if (c.status === "waiting") waiting += 1;
    const item = queueItem(c.id);
    item.badge.textContent = STATUS[c.status] || c.status;
    item.badge.className = "gc-badge is-" + c.status;
    item.question.textContent = c.last_question ? "“" + c.last_question + "”" : "（市民尚未提问）";
    item.meta.textContent = [c.department || "未分配部门", CHANNEL[c.channel] || c.channel].join(" · ");
    item.wait.textContent = (c.status === "waiting" ? "已等待 " : "转人工后 ") + duration(c.waiting_seconds) +
      (c.status === "human" && c.operator ? " · 坐席 " + c.operator : "");
    const selected = c.id === state.conv;
    select(item, selected);
    if (node.children[index] !== item.li) node.insertBefore(item.li, node.children[index] || null);
    if (selected) syncFromQueue(c);
  });
  Object.keys(queueItems).forEach((id) => {
    if (!keep[id]) { queueItems[id].li.remove(); delete queueItems[id]; }
  });
  $("queue-count").textContent = list.length ? "排队 " + waiting + " · 服务中 " + (list.length - waiting) : "";
  show($("queue-empty"), !list.length);
  if (state.conv && !keep[state.conv]) conversationLeftQueue();
}

/* Supervisors: live numbers over every queue. */
function renderMetrics(m) {
  const box = $("metrics");
  if (!m) return;
  clear(box);
  [["排队", m.waiting], ["最长等待", duration(m.longest_wait_seconds)], ["服务中", m.human],
   ["今日已接待", m.handled_today]].forEach(([name, value]) => {
    const cell = el("div", "gc-metric");
    cell.appendChild(el("span", "gc-metric-value", String(value)));
    cell.appendChild(el("span", "gc-muted", name));
    box.appendChild(cell);
  });
  show(box, true);
}

/** Polls the queue for the session of `generation` until that session ends. */
export function pollQueue(generation) {
  if (generation !== client.generation) return;
  clearTimeout(state.queueTimer);
  client.api("GET", "/api/operator/queue")
    .then((list) => {
      if (generation !== client.generation) return;
      note($("queue-error"), "");
      renderQueue(list || []);
      if (state.user && state.user.role === "supervisor") return client.api("GET", "/api/operator/metrics").then(renderMetrics);
    }, (err) => {
      if (generation === client.generation) note($("queue-error"), "队列刷新失败：" + err.message, "error");
    })
    .then(() => {
      if (generation === client.generation) state.queueTimer = setTimeout(() => pollQueue(generation), QUEUE_MS);
    });
}

/** Empties the list and hides the numbers (on logout). */
export function clearQueue() {
  show($("metrics"), false);
  clear($("queue-list"));
}

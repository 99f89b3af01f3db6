/* The handoff packet: the bot's summary, what the citizen gave (service, phone, work order type),
 * the suggested department and the answers the bot already gave, with their sources. */

import { $, el, clear } from "../shared/dom.js";
import { clock } from "../shared/format.js";
import { WO_TYPE, confidence } from "./labels.js";
import { renderSources } from "./sources.js";
import { showAssistFor } from "./assist.js";

/** Empties the packet before another conversation's arrives. */
export function clearPacket() {
  ["pk-summary", "pk-dept"].forEach((k) => { $(k).textContent = ""; });
  clear($("pk-slots")); clear($("pk-answers"));
}

function renderDepartment(suggested) {
  const dept = $("pk-dept");
  clear(dept);
  dept.appendChild(el("strong", null, "建议部门："));
  if (suggested) {
    dept.appendChild(el("span", "gc-dept-name", suggested.name || "无需派单"));
    if (suggested.phone) dept.appendChild(el("span", "gc-dept-phone", " 电话 " + suggested.phone));
    if (suggested.reason) dept.appendChild(el("span", "gc-muted", "（" + suggested.reason + "）"));
    $("transfer-dept").placeholder = suggested.name;
  } else {
    dept.appendChild(el("span", "gc-muted", "暂无"));
  }
}

function renderAnswers(given) {
  const answers = $("pk-answers");
  clear(answers);
  answers.appendChild(el("h3", null, "机器人已给出的答案（" + (given || []).length + "）"));
  if (!given || !given.length) answers.appendChild(el("p", "gc-muted", "机器人尚未给出带来源的答案。"));
  (given || []).forEach((a) => {
    const box = el("div", "gc-answer");
    const head = el("div", "gc-answer-head");
    head.appendChild(el("span", null, clock(a.time)));
    const conf = confidence(a.confidence);
    if (conf) head.appendChild(el("span", "gc-conf", conf));
    box.appendChild(head);
    box.appendChild(el("div", "gc-answer-text", a.text));
    renderSources(box, a.sources);
    answers.appendChild(box);
  });
}

export function renderPacket(p) {
  $("pk-summary").textContent = p.summary || "";
  const slots = $("pk-slots");
  clear(slots);
  const s = p.slots || {};
  [["咨询事项", s.service], ["联系电话", s.phone], ["工单类型", WO_TYPE[s.work_order_type] || s.work_order_type]]
    .forEach(([name, value]) => {
      slots.appendChild(el("dt", null, name));
      slots.appendChild(el("dd", null, value || "—"));
    });
  renderDepartment(p.suggested_department);
  renderAnswers(p.answers);
  showAssistFor(p.id, p.latest_question, { suggestions: p.suggestions, department: p.suggested_department });
  // prefill the work order from what the citizen gave
  if (!$("wo-phone").value && s.phone) $("wo-phone").value = s.phone;
  if (s.work_order_type && WO_TYPE[s.work_order_type]) $("wo-type").value = s.work_order_type;
}

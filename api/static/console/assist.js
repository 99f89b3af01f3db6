/* Agent assist: what the citizen said -> up to three suggested answers with their sources and a
 * suggested department; 插入 copies an answer into the reply box; 答案有误 / 报告知识缺失 report
 * to the policy owners' knowledge-gaps inbox. The same box serves both tabs. What the caller said
 * before in this call (each note asked with 获取建议 / Enter, or the chat's latest question) is sent
 * as `earlier`, so that "要带啥" after "居住证怎么办" is read about the residence permit; 新来电
 * forgets it. */

import { $, el, clear, show, button, note } from "../shared/dom.js";
import { client, state, ASSIST_DELAY_MS, CALL_NOTES_SENT } from "./state.js";
import { confidence } from "./labels.js";
import { renderSources } from "./sources.js";

/** Empties the box and its results; the call's earlier notes stay (清空 between two questions). */
function clearBox() {
  state.assistSeq += 1;
  $("assist-text").value = "";
  clear($("assist-list"));
  clear($("assist-dept"));
  show($("assist-dept"), false);
  clear($("assist-follow"));
  show($("assist-follow"), false);
  note($("assist-msg"), "");
}

/** A new call (or conversation, or logout): the box and what the caller said before. */
export function resetAssist() {
  state.assistFor = null;
  clearBox();
  setCallNotes([]);
}

function setCallNotes(notes) {
  state.callNotes = notes;
  const list = $("assist-call-list");
  clear(list);
  notes.forEach((text) => list.appendChild(el("li", null, text)));
  show($("assist-call"), notes.length > 0);
}

/* A note asked on purpose joins the call's notes; a corrected or completed note (one begins with
 * the other) replaces the last instead of adding a second. */
function remember(text) {
  const notes = state.callNotes.slice();
  const last = notes[notes.length - 1];
  if (last !== undefined && (text.startsWith(last) || last.startsWith(text))) notes[notes.length - 1] = text;
  else notes.push(text);
  setCallNotes(notes.slice(-10));
}

/** The notes sent with `text`: the last few said before it, not itself. */
function earlierThan(text) {
  const notes = state.callNotes.slice();
  if (notes.length && notes[notes.length - 1] === text) notes.pop();
  return notes.slice(-CALL_NOTES_SENT);
}

function insert(text) {
  const box = $("send-text");
  box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + text : text;
  const where = $("chat-view").hidden ? "（切换到“在线会话”即可发送）" : "";
  note($("assist-msg"), state.conv ? "已插入回复框" + where + "，请核对后发送。"
                                   : "已插入回复框；打开一个会话后即可发送。", "ok");
  if (!$("chat-view").hidden) box.focus();
}

/** An operator's "wrong / missing" report lands in the policy owners' knowledge-gaps inbox. */
function flag(kind, itemId, btn) {
  const question = state.assistAsked || "";
  if (!question) return;
  btn.disabled = true;
  client.api("POST", "/api/operator/flags", { question, kind, item_id: itemId, note: "" })
    .then(() => { btn.textContent = "已报告"; note($("assist-msg"), "已报告给知识管理部门，谢谢。", "ok"); },
          (err) => { btn.disabled = false; note($("assist-msg"), "报告失败：" + err.message, "error"); });
}

/* Where to dispatch: the department with its phone and the duty it matched; when the model is
 * unsure, the hotline centre and the likeliest departments; nothing for a greeting. */
function renderDepartment(department) {
  const dept = $("assist-dept");
  clear(dept);
  if (!department) { show(dept, false); return; }
  dept.appendChild(el("strong", null, "建议派单："));
  dept.appendChild(el("span", "gc-dept-name", department.name || "无需派单"));
  if (department.phone) dept.appendChild(el("span", "gc-dept-phone", " 电话 " + department.phone));
  if (department.reason) dept.appendChild(el("div", "gc-muted", department.reason));
  show(dept, true);
}

function suggestionItem(s, i) {
  const li = el("li", "gc-suggestion");
  const head = el("div", "gc-suggestion-head");
  head.appendChild(el("span", "gc-rank", "建议 " + (i + 1)));
  const conf = confidence(s.confidence);
  if (conf) head.appendChild(el("span", "gc-conf", conf));
  const use = button("插入", "gc-insert");
  use.setAttribute("aria-label", "把建议 " + (i + 1) + " 插入回复框");
  use.addEventListener("click", () => insert(s.answer));
  head.appendChild(use);
  const wrong = button("答案有误", "gc-flag", "flag-wrong-" + (i + 1));
  wrong.addEventListener("click", () => {
    flag("wrong", s.sources && s.sources.length ? s.sources[0].id : null, wrong);
  });
  head.appendChild(wrong);
  li.appendChild(head);
  li.appendChild(el("div", "gc-suggestion-text", s.answer));
  renderSources(li, s.sources, true);
  return li;
}

/* When the answer depends on which service the caller means: the question to ask them. */
function renderFollowUp(followUp) {
  const box = $("assist-follow");
  clear(box);
  if (followUp && followUp.question) {
    box.appendChild(el("strong", null, "建议追问："));
    box.appendChild(el("span", null, followUp.question));
    const use = button("插入", "gc-insert");
    use.setAttribute("aria-label", "把建议追问插入回复框");
    use.addEventListener("click", () => insert(followUp.question));
    box.appendChild(use);
  }
  show(box, !!(followUp && followUp.question));
}

function renderAssist(data) {
  const list = $("assist-list");
  clear(list);
  renderDepartment(data.department);
  renderFollowUp(data.follow_up);
  const suggestions = (data.suggestions || []).slice(0, 3);
  note($("assist-msg"), suggestions.length ? "" : "知识库中没有找到合适的答案，请按规范答复或转交相关部门。");
  const missing = button("报告知识缺失", "gc-flag", "flag-missing");
  missing.addEventListener("click", () => flag("missing", null, missing));
  const row = el("li", "gc-flag-row");
  row.appendChild(missing);
  list.appendChild(row);
  suggestions.forEach((s, i) => list.appendChild(suggestionItem(s, i)));
}

/** The suggestions the handoff packet brought for the citizen's latest question, shown at once
 * when a conversation opens: once per conversation, so that a reload of its packet (it left the
 * queue, it was released) never replaces what the operator has asked since. */
export function showAssistFor(conversationId, question, data) {
  if (!question || state.assistFor === conversationId) return;
  state.assistFor = conversationId;
  state.assistSeq += 1;
  setCallNotes([question.slice(0, 1000)]);
  $("assist-text").value = question;
  state.assistAsked = question.slice(0, 1000);
  renderAssist(data);
}

/** Asks for suggestions for what is in the box, read in what the caller said before; a newer
 * question drops the answer to an older one. `asked`: the operator asked on purpose (button,
 * Enter), so the note becomes part of the call; the suggestions while typing leave it out. */
export function runAssist(asked) {
  clearTimeout(state.assistTimer);
  const text = $("assist-text").value.trim();
  if (!text) { note($("assist-msg"), "请先输入市民说的话。", "error"); return; }
  const seq = ++state.assistSeq;
  const said = text.slice(0, 1000);
  state.assistAsked = said;
  $("assist-submit").disabled = true;
  note($("assist-msg"), "正在查询……");
  client.api("POST", "/api/assist", { text: said, earlier: earlierThan(said) })
    .then((data) => {
      if (seq !== state.assistSeq) return;
      if (asked) remember(said);
      renderAssist(data || {});
    },
          (err) => { if (seq === state.assistSeq) note($("assist-msg"), "查询失败：" + err.message, "error"); })
    .then(() => { $("assist-submit").disabled = false; });
}

export function initAssist() {
  $("assist-form").addEventListener("submit", (event) => { event.preventDefault(); runAssist(true); });
  $("assist-text").addEventListener("input", () => {
    clearTimeout(state.assistTimer);
    if ($("assist-text").value.trim().length >= 2) state.assistTimer = setTimeout(() => runAssist(false), ASSIST_DELAY_MS);
  });
  $("assist-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); runAssist(true); }
  });
  $("assist-clear").addEventListener("click", () => { clearBox(); $("assist-text").focus(); });
  $("assist-newcall").addEventListener("click", () => { resetAssist(); $("assist-text").focus(); });
}

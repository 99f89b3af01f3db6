/* The policy owners' console: one item — its content and the workflow buttons (submit, publish with
 * the gold-question check, send back, abolish). Its version history is in versions.js. */

import { $, clear, el, note, show } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { FIELDS, KIND_LABEL, STATUS_LABEL } from "./vocabulary.js";
import { api, canEdit, canReview, itemPath } from "./session.js";
import { go } from "./router.js";
import { cell, outcomeText, takePending } from "./widgets.js";
import * as versions from "./versions.js";

const CHANGE = { same: "不变", lost: "将失去答案", gained: "将答对", changed: "答复有变化" };
const PANELS = ["publish-panel", "return-form", "abolish-form"];
const cur = { id: null, item: null, seq: 0, publishConfirm: false };

function msg(message, kind) { note($("item-msg"), message, kind); }

function closePanels(except) {
  PANELS.forEach((id) => { if (id !== except) show($(id), false); });
}

/* ---------------------------------------------------------------- content ---------------- */
function fieldValue(value) {
  if (Array.isArray(value)) return value.join("\n");
  return value === undefined || value === null ? "" : String(value);
}

function renderFields(dl, item) {
  clear(dl);
  const pair = (label, value, testid) => {
    if (!value) return;
    const dd = el("dd", null, value);
    if (testid) dd.setAttribute("data-testid", testid);
    dl.appendChild(el("dt", null, label));
    dl.appendChild(dd);
  };
  (FIELDS[item.kind] || []).forEach(([key, label]) => pair(label, fieldValue((item.fields || {})[key]), "field-" + key));
  pair("地区", item.region);
  pair("来源", item.source);
  pair("文号", item.doc_number);
  pair("发文日期", item.doc_date);
  pair("生效日期", item.effective_date);
  pair("失效日期", item.expiry_date);
  if (item.status === "abolished") {
    pair("废止原因", item.abolish_reason, "abolish-reason-shown");
    pair("替代条目", item.successor_id ? "#" + item.successor_id : "");
  }
  if (!dl.firstChild) dl.appendChild(el("dd", "ga-muted", "（暂无内容）"));
}

function renderHead(item) {
  $("item-title").textContent = "#" + item.id + " " + (item.title || "（无标题）");
  $("item-kind").textContent = item.kind_label || KIND_LABEL[item.kind];
  const status = $("item-status");
  status.textContent = item.status_label || STATUS_LABEL[item.status];
  status.className = "ga-badge is-" + item.status;
  const answering = $("item-answering");
  answering.textContent = item.answering ? "正在用于答复市民" : "未用于答复";
  answering.className = "ga-badge " + (item.answering ? "is-live" : "is-off");
  const online = item.live_version ? "线上 v" + item.live_version : item.status === "abolished" ? "已停止使用" : "尚未发布";
  $("item-meta").textContent = [item.department || "未指定部门", "当前 v" + item.version, online,
    "更新于 " + dateTime(item.updated_at)].join(" · ");
  const live = item.live_version && item.live_version !== item.version && item.status !== "abolished";
  note($("item-live"), live ? "线上仍在使用 v" + item.live_version + "；当前修改（v" + item.version + "，" +
    (item.status_label || "") + "）须审核发布后才会生效。" : "");
  show($("item-live-box"), !!(live && item.live));
  if (live && item.live) renderFields($("item-live-fields"), item.live);
}

function renderActions(item) {
  const open = item.status !== "abolished";
  show($("act-edit"), open && canEdit());
  show($("act-submit"), item.status === "draft" && canEdit());
  show($("act-publish"), item.status === "submitted" && canReview());
  show($("act-return"), item.status === "submitted" && canReview());
  show($("act-abolish"), open && canEdit());
}

function render(item) {
  cur.item = item;
  renderHead(item);
  renderActions(item);
  renderFields($("item-fields"), item);
  if (versions.isOpen()) versions.load();
}

async function load(id, message, kind) {
  const seq = ++cur.seq;
  try {
    const item = await api("GET", itemPath(id));
    if (seq !== cur.seq) return;
    render(item);
    if (message !== undefined) msg(message, kind);
  } catch (err) {
    if (seq === cur.seq) msg("条目加载失败：" + err.message, "error");
  }
}

function enter(arg) {
  const id = parseInt(arg, 10);
  if (!id) { go("#items"); return; }
  const same = cur.id === id;
  cur.id = id;
  cur.publishConfirm = false;
  closePanels();
  if (!same) {
    cur.item = null;
    versions.reset();
    $("item-title").textContent = "#" + id;
    ["item-kind", "item-status", "item-answering", "item-meta"].forEach((k) => { $(k).textContent = ""; });
    clear($("item-fields"));
  }
  const pending = takePending(id);
  msg(pending ? pending.message : "", pending ? pending.kind : null);
  load(id);
}

/** Run a workflow step; on success reload the item and say what happened. */
async function step(buttonNode, method, tail, body, done) {
  const id = cur.id;
  buttonNode.disabled = true;
  try {
    const data = await api(method, itemPath(id, tail), body);
    if (id === cur.id) done(data);
  } catch (err) {
    if (id !== cur.id) return;
    msg(err.message, "error");
    if (err.status === 409) load(id);  // the state changed under us: show what it is now
  } finally {
    buttonNode.disabled = false;
  }
}

/* ---------------------------------------------------------------- publish ---------------- */
function renderGold(gold, lost) {
  const body = $("publish-body");
  clear(body);
  gold.forEach((g) => {
    const tr = el("tr", g.change === "lost" ? "is-lost" : "");
    cell(tr, "标准问题", g.question);
    cell(tr, "现在的答复", outcomeText(g.before));
    cell(tr, "发布后的答复", outcomeText(g.after));
    cell(tr, "变化", el("span", "ga-change is-" + g.change, CHANGE[g.change] || g.change));
    body.appendChild(tr);
  });
  show($("publish-table"), gold.length > 0);
  const info = !gold.length ? "本部门没有与该条目相关的标准问题，可以直接发布。"
    : lost ? "注意：发布后有 " + lost + " 个标准问题将失去答案（标红的行）。请确认无误后再发布。"
    : "共检查 " + gold.length + " 个标准问题，没有问题会失去答案。";
  note($("publish-info"), info, lost ? "error" : null);
  cur.publishConfirm = lost > 0;
  const confirmNode = $("publish-confirm");
  confirmNode.textContent = lost ? "仍然发布（" + lost + " 个标准问题将失去答案）" : "确认发布";
  confirmNode.classList.toggle("ga-danger", lost > 0);
  confirmNode.classList.toggle("ga-primary", !lost);
  confirmNode.disabled = false;
}

async function openPublish() {
  closePanels("publish-panel");
  const panel = $("publish-panel");
  if (!panel.hidden) { show(panel, false); return; }
  show(panel, true);
  show($("publish-table"), false);
  note($("publish-info"), "正在检查本部门的标准问题……");
  $("publish-confirm").disabled = true;
  const id = cur.id;
  try {
    const check = await api("GET", itemPath(id, "/publish-check"));
    if (id === cur.id) renderGold(check.gold || [], check.lost || 0);
  } catch (err) {
    if (id !== cur.id) return;
    note($("publish-info"), "标准问题检查失败：" + err.message, "error");
    $("publish-confirm").disabled = false;
  }
}

async function publish() {
  const id = cur.id;
  const confirmNode = $("publish-confirm");
  confirmNode.disabled = true;
  try {
    const item = await api("POST", itemPath(id, "/publish"), { confirm: cur.publishConfirm });
    if (id !== cur.id) return;
    show($("publish-panel"), false);
    render(item);
    msg("已发布（v" + item.version + "），市民端立即按此内容答复。", "ok");
  } catch (err) {
    if (id !== cur.id) return;
    if (err.status === 409 && err.data && err.data.gold) {  // the check changed since: show it, ask again
      renderGold(err.data.gold, err.data.lost || 0);
      note($("publish-info"), err.message, "error");
      return;
    }
    show($("publish-panel"), false);
    msg(err.message, "error");
    if (err.status === 409) load(id);
  } finally {
    confirmNode.disabled = false;
  }
}

/* ---------------------------------------------------------------- return, abolish -------- */
/** Open or close one of the two forms, focusing its first box when it opens. */
function toggleForm(formId, focusId) {
  closePanels(formId);
  show($(formId), $(formId).hidden);
  if (!$(formId).hidden) $(focusId).focus();
}

function sendBack(event) {
  event.preventDefault();
  const comment = $("return-comment").value.trim();
  if (!comment) { msg("退回时请写明修改意见。", "error"); $("return-comment").focus(); return; }
  step($("return-submit"), "POST", "/return", { comment }, (item) => {
    show($("return-form"), false);
    $("return-comment").value = "";
    render(item);
    msg("已退回修改，条目回到草稿状态。", "ok");
  });
}

function abolish(event) {
  event.preventDefault();
  const reason = $("abolish-reason").value.trim();
  const successorText = $("abolish-successor").value.trim().replace(/^#/, "");
  if (!reason) { msg("废止时请写明原因。", "error"); $("abolish-reason").focus(); return; }
  if (successorText && !/^\d+$/.test(successorText)) { msg("替代条目编号应为数字，如 128。", "error"); return; }
  const body = { reason, successor_id: successorText ? parseInt(successorText, 10) : null };
  step($("abolish-submit"), "POST", "/abolish", body, (item) => {
    show($("abolish-form"), false);
    $("abolish-reason").value = "";
    $("abolish-successor").value = "";
    render(item);
    msg("已废止，市民端立即停止使用该条目。", "ok");
  });
}

export function setup() {
  $("act-edit").addEventListener("click", () => go("#edit/" + cur.id));
  $("act-refresh").addEventListener("click", () => { closePanels(); load(cur.id, "已刷新。", "ok"); });
  $("act-submit").addEventListener("click", () => {
    closePanels();
    step($("act-submit"), "POST", "/submit", undefined, (item) => {
      render(item);
      msg("已提交审核，等待本部门审核人发布。", "ok");
    });
  });
  $("act-publish").addEventListener("click", openPublish);
  $("publish-cancel").addEventListener("click", () => show($("publish-panel"), false));
  $("publish-confirm").addEventListener("click", publish);
  $("act-return").addEventListener("click", () => toggleForm("return-form", "return-comment"));
  $("return-cancel").addEventListener("click", () => show($("return-form"), false));
  $("return-form").addEventListener("submit", sendBack);
  $("act-abolish").addEventListener("click", () => toggleForm("abolish-form", "abolish-reason"));
  $("abolish-cancel").addEventListener("click", () => show($("abolish-form"), false));
  $("abolish-form").addEventListener("submit", abolish);
  versions.setup({ id: () => cur.id, item: () => cur.item, step, render, msg });
}

export const routes = {
  item: { tab: "items", view: "view-item", enter },
};

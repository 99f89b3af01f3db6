/* The policy owners' console: bulk import (批量导入) — template links, preview, then commit as
 * drafts or (reviewers) published, with a progress bar fed by the progress endpoint. */

import { $, clear, el, note, show } from "../shared/dom.js";
import { query } from "../shared/http.js";
import { KINDS, KIND_LABEL } from "./vocabulary.js";
import { api, canReview, isAdmin, upload } from "./session.js";
import { cell, count, fillSelect } from "./widgets.js";

const POLL_MS = 300;
const PREVIEW_ROWS = 20;
const ACTION = { new: "新增", changed: "修改", unchanged: "不变" };
const PHASE = { reading: "正在读取文件", read: "正在读取文件", checking: "正在检查内容", check: "正在检查内容",
                preview: "正在检查内容", saving: "正在保存条目", save: "正在保存条目", commit: "正在保存条目",
                embedding: "正在计算检索向量", indexing: "正在更新检索索引", index: "正在更新检索索引", done: "已完成", finished: "已完成",
                rejected: "未导入" };
// busy: a request runs; indexing: a big published import is being embedded in the background
const imp = { previewed: null, busy: false, indexing: false, timer: null, progressId: null, gen: 0, done: "" };

function msg(message, kind) { note($("imp-msg"), message, kind); }

function setButtons() {
  const ready = !!imp.previewed && !imp.busy;
  $("imp-draft").disabled = !ready;
  $("imp-publish").disabled = !ready;
  $("imp-preview").disabled = imp.busy;
}

const file = () => $("imp-file").files && $("imp-file").files[0];

function formFor(f) {
  const form = new FormData();
  form.append("file", f, f.name);
  return form;
}

const params = (extra) => query({ kind: $("imp-kind").value, region: $("imp-region").value.trim(), ...extra });

/* ---------------------------------------------------------------- preview ---------------- */
function summaryText(p) {
  const s = p.summary || {};
  let text = "文件“" + (p.filename || "") + "”：可导入 " + (s.rows || 0) + " 行（新增 " + (s.new || 0) +
    "，修改 " + (s.changed || 0) + "，不变 " + (s.unchanged || 0) + "）；错误 " + (s.errors || 0) + " 处，提醒 " +
    (s.warnings || 0) + " 处。";
  if (s.errors) text += "有错误时不会导入任何条目，请按下表修改后重新上传。";
  else if (p.ok) text += "检查通过，可以导入。";
  return text;
}

function brief(fields) {
  const f = fields || {};
  let text = f.answer || f.conditions || f.materials || f.text || f.handles || "";
  if (Array.isArray(text)) text = text.join("；");
  text = String(text).replace(/\s+/g, " ");
  return text.length > 60 ? text.slice(0, 60) + "……" : text;
}

function renderProblems(problems) {
  const body = $("imp-problems");
  clear(body);
  problems.forEach((pr) => {
    const error = pr.severity === "error";
    const tr = el("tr", error ? "is-error" : "is-warning");
    cell(tr, "行", pr.row === null || pr.row === undefined ? "整个文件" : "第 " + pr.row + " 行");
    cell(tr, "列", pr.column || "—");
    cell(tr, "问题", pr.message, "ga-problem");
    cell(tr, "级别", el("span", "ga-badge is-" + (error ? "abolished" : "submitted"), error ? "错误" : "提醒"));
    body.appendChild(tr);
  });
  show($("imp-problems-box"), problems.length > 0);
}

function renderRows(items) {
  const body = $("imp-rows");
  clear(body);
  items.slice(0, PREVIEW_ROWS).forEach((it) => {
    const tr = el("tr");
    cell(tr, "行", it.row === null || it.row === undefined ? "—" : it.row);
    const look = it.action === "new" ? "published" : it.action === "changed" ? "submitted" : "draft";
    cell(tr, "操作", el("span", "ga-badge is-" + look, ACTION[it.action] || it.action));
    cell(tr, "类型", KIND_LABEL[it.kind] || it.kind);
    cell(tr, "标题", it.title || "");
    cell(tr, "部门", it.department || "—");
    cell(tr, "摘要", brief(it.fields));
    body.appendChild(tr);
  });
  $("imp-rows-title").textContent = (items.length > PREVIEW_ROWS ? "前 " + PREVIEW_ROWS + " 行预览" : "预览") +
    "（共 " + items.length + " 行）";
  show($("imp-rows-box"), items.length > 0);
}

function renderPreview(p) {
  $("imp-summary").textContent = summaryText(p);
  $("imp-summary").classList.toggle("is-error", !p.ok);
  renderProblems(p.problems || []);
  renderRows(p.items || []);
  show($("imp-result"), true);
}

function clearPreview() {
  imp.previewed = null;
  show($("imp-result"), false);
  show($("imp-progress-box"), false);
  setButtons();
}

async function preview(event) {
  event.preventDefault();
  const f = file();
  if (!f) { msg("请先选择要导入的文件。", "error"); return; }
  clearPreview();
  imp.busy = true;
  setButtons();
  const gen = ++imp.gen;
  msg("正在检查文件……");
  try {
    const p = await upload("/api/admin/import" + params({ dry_run: 1 }), formFor(f));
    if (gen !== imp.gen) return;
    renderPreview(p || {});
    const ok = !!(p && p.ok);
    imp.previewed = ok ? f : null;
    msg(ok ? "预览完成，确认无误后请选择导入方式。" : "文件中有需要修改的地方，请查看下方的问题列表。", ok ? "ok" : "error");
  } catch (err) {
    if (gen !== imp.gen) return;
    if (err.data && err.data.preview) renderPreview(err.data.preview);
    msg("预览失败：" + err.message, "error");
  } finally {
    if (gen === imp.gen) { imp.busy = false; setButtons(); }
  }
}

/* ---------------------------------------------------------------- commit ----------------- */
function progressId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "imp-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function showProgress(p) {
  const bar = $("imp-progress");
  const total = Number(p && p.total) || 0;
  const done = Number(p && p.done) || 0;
  if (total > 0) { bar.max = total; bar.value = Math.min(done, total); }
  else bar.removeAttribute("value");  // indeterminate until the server knows the total
  const phase = p && p.phase ? PHASE[p.phase] || "处理中（" + p.phase + "）" : "正在上传";
  $("imp-progress-text").textContent = phase + (total ? "：" + Math.min(done, total) + " / " + total : "……");
}

const watching = (gen) => gen === imp.gen && (imp.busy || imp.indexing);

async function poll(gen) {
  if (!watching(gen)) return;
  try {
    const p = await api("GET", "/api/admin/import/progress/" + encodeURIComponent(imp.progressId));
    if (watching(gen)) {
      showProgress(p);
      if (imp.indexing && p && p.phase === "done") {
        imp.indexing = false;
        msg(imp.done + "检索索引已更新完成，新内容已用于答复市民。", "ok");
      }
    }
  } catch (err) { /* not started yet, or already gone: keep the last state */ }
  if (watching(gen)) imp.timer = setTimeout(() => poll(gen), POLL_MS);
}

async function commit(publish) {
  const f = imp.previewed;
  if (!f || imp.busy) return;
  if (file() !== f) { clearPreview(); msg("文件已更换，请重新预览。", "error"); return; }
  imp.busy = true;
  setButtons();
  const gen = ++imp.gen;
  clearTimeout(imp.timer);
  imp.indexing = false;
  imp.progressId = progressId();
  show($("imp-progress-box"), true);
  showProgress(null);
  msg(publish ? "正在导入并发布……" : "正在导入为草稿……");
  imp.timer = setTimeout(() => poll(gen), POLL_MS);
  const extra = { progress_id: imp.progressId };
  if (publish) extra.publish = 1;
  try {
    const r = await upload("/api/admin/import" + params(extra), formFor(f));
    if (gen !== imp.gen) return;
    const s = (r && r.summary) || {};
    const published = (r && r.status) === "published" || publish;
    imp.done = "导入完成：新增 " + count(r && r.added) + " 条，更新 " + count(r && r.updated) + " 条，未变 " +
      count(r && r.unchanged) + " 条（" + (published ? "已发布" : "草稿，须提交审核并发布后生效") + "）。";
    imp.previewed = null;
    if (r && r.indexing) {  // saved; the search index catches up in the background
      imp.indexing = true;
      showProgress({ phase: "indexing" });
      msg(imp.done + "正在后台更新检索索引，完成前新内容可能还查不到。", "ok");
      return;
    }
    showProgress({ phase: "done", done: s.rows || 1, total: s.rows || 1 });
    msg(imp.done + (published ? "市民端立即可以使用。" : ""), "ok");
  } catch (err) {
    if (gen !== imp.gen) return;
    show($("imp-progress-box"), false);
    if (err.data && err.data.preview) renderPreview(err.data.preview);
    msg("导入失败，没有导入任何条目：" + err.message, "error");
  } finally {
    if (gen === imp.gen) {
      imp.busy = false;
      if (!imp.indexing) clearTimeout(imp.timer);
      setButtons();
    }
  }
}

export function setup() {
  fillSelect($("imp-kind"), KINDS);
  ["imp-file", "imp-kind", "imp-region"].forEach((id) => {
    $(id).addEventListener("change", () => { clearPreview(); msg(""); });  // preview again first
  });
  $("import-form").addEventListener("submit", preview);
  $("imp-draft").addEventListener("click", () => commit(false));
  $("imp-publish").addEventListener("click", () => commit(true));
}

export function onLogin() {
  show($("imp-admin-hint"), isAdmin());
  show($("imp-publish"), canReview());
}

export const routes = {
  import: { tab: "import", view: "view-import", enter: () => setButtons() },
};

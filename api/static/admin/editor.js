/* The policy owners' console: the item editor (new draft or a new version of an item).
 * Saves carry the version the editor started from; someone else's save in between gets a 409,
 * which is shown with a button to load the latest version. */

import { $, clear, el, note, show } from "../shared/dom.js";
import { FIELDS, KIND_LABEL, REQUIRED } from "./vocabulary.js";
import { api, currentUser, isAdmin, itemPath } from "./session.js";
import { go } from "./router.js";
import { setPending, takePending } from "./widgets.js";

const ed = { id: null, kind: "qa", version: null, item: null, seq: 0 };
const ITEM_INPUTS = { title: "ed-title", department: "ed-department", region: "ed-region", source: "ed-source",
                      doc_number: "ed-doc-number", doc_date: "ed-doc-date", effective_date: "ed-effective",
                      expiry_date: "ed-expiry" };

function msg(message, kind) { note($("ed-msg"), message, kind); }

function fieldInput(kind, [name, labelText, how]) {
  const label = el("label", "ga-field ga-field-" + how);
  const caption = el("span", null, labelText);
  if ((REQUIRED[kind] || []).includes(name)) caption.appendChild(el("span", "ga-required", "（提交审核时必填）"));
  if (how === "list") caption.appendChild(el("span", "ga-muted", "（每行一个）"));
  label.appendChild(caption);
  let input;
  if (how === "line") {
    input = el("input");
    input.maxLength = 1000;
  } else {
    input = el("textarea");
    input.rows = how === "list" ? 3 : name === "text" ? 12 : name === "answer" ? 6 : 3;
  }
  input.id = "ed-f-" + name;
  input.setAttribute("data-field", name);
  input.setAttribute("data-testid", "ed-f-" + name);
  label.appendChild(input);
  return label;
}

function buildFields(kind) {
  const box = $("ed-fields");
  clear(box);
  box.appendChild(el("h3", null, KIND_LABEL[kind] + "内容"));
  (FIELDS[kind] || []).forEach((spec) => box.appendChild(fieldInput(kind, spec)));
}

function reset(kind) {
  ed.kind = kind;
  buildFields(kind);
  Object.values(ITEM_INPUTS).forEach((id) => { $(id).value = ""; });
  const dept = $("ed-department");
  dept.readOnly = !isAdmin();
  dept.required = isAdmin();
  dept.placeholder = isAdmin() ? "管理员新建时必须填写部门" : "";
  if (!isAdmin()) dept.value = (currentUser() && currentUser().department) || "";
  msg("");
  show($("ed-reload"), false);
  $("ed-save").disabled = false;
}

const text = (value) => (value === null || value === undefined ? "" : String(value));

function fill(item) {
  ed.item = item;
  ed.version = item.version;
  Object.entries(ITEM_INPUTS).forEach(([key, id]) => { $(id).value = text(item[key]); });
  const fields = item.fields || {};
  if (item.title && (item.title === fields.question || item.title === fields.name)) {
    $("ed-title").value = "";  // derived from the question / name: follows it when that is edited
  }
  (FIELDS[item.kind] || []).forEach(([name]) => {
    const value = fields[name];
    $("ed-f-" + name).value = Array.isArray(value) ? value.join("\n") : text(value);
  });
  $("editor-title").textContent = "编辑 #" + item.id + " " + (item.title || "") + "（基于 v" + item.version + "）";
  const hint = item.status === "published" || item.live_version
    ? "保存后成为新的草稿版本；须提交审核并发布后才会生效，在此之前市民端仍使用线上版本。"
    : item.status === "submitted" ? "该条目正在等待审核；保存修改后会回到草稿状态，需要重新提交审核。"
    : "保存后仍为草稿，确认无误后请在条目页点“提交审核”。";
  $("editor-hint").textContent = hint;
  $("editor-back").href = "#item/" + item.id;
  if (item.status === "abolished") {
    msg("该条目已废止，不能再编辑。", "error");
    $("ed-save").disabled = true;
  }
}

async function loadItem(id, message) {
  const seq = ++ed.seq;
  $("ed-save").disabled = true;
  $("ed-fieldset").disabled = true;  // nothing typed now would survive the load
  try {
    const item = await api("GET", itemPath(id));
    if (seq !== ed.seq) return;
    $("ed-fieldset").disabled = false;
    reset(item.kind);
    fill(item);
    if (message) msg(message, "ok");
    if (item.status !== "abolished") $("ed-save").disabled = false;
  } catch (err) {
    if (seq === ed.seq) msg("条目加载失败：" + err.message, "error");
  }
}

function enterNew(arg) {
  const kind = FIELDS[arg] ? arg : "qa";
  ed.seq += 1;
  ed.id = null;
  ed.version = null;
  ed.item = null;
  $("ed-fieldset").disabled = false;
  reset(kind);
  $("editor-title").textContent = "新建" + KIND_LABEL[kind];
  $("editor-hint").textContent = "保存后为草稿，不会用于答复市民；提交审核并由审核人发布后才会生效。";
  $("editor-back").href = "#items";
  const first = $("ed-fields").querySelector("input, textarea");
  if (first) first.focus();
}

function enterEdit(arg) {
  const id = parseInt(arg, 10);
  if (!id) { go("#items"); return; }
  ed.id = id;
  $("editor-title").textContent = "编辑 #" + id;
  $("editor-hint").textContent = "";
  msg("正在加载……");
  const pending = takePending(id);
  loadItem(id, pending && pending.message);
}

function collect() {
  const fields = {};
  (FIELDS[ed.kind] || []).forEach(([name, , how]) => {
    const raw = $("ed-f-" + name).value;
    fields[name] = how === "list" ? raw.split("\n").map((s) => s.trim()).filter(Boolean) : raw.trim();
  });
  const body = { kind: ed.kind, fields };
  Object.entries(ITEM_INPUTS).forEach(([key, id]) => {
    const value = $(id).value.trim();
    body[key] = /date$/.test(key) ? (value || null) : value;
  });
  if (ed.id) body.version = ed.version;
  return body;
}

function check(body) {
  const f = body.fields;
  if (!body.title && !f.question && !f.name) {
    return ed.kind === "qa" ? "请填写问题。" : ed.kind === "guide" ? "请填写事项名称。" : "请填写标题。";
  }
  if (isAdmin() && !body.department) return "请填写所属部门。";
  if (body.effective_date && body.expiry_date && body.expiry_date <= body.effective_date) {
    return "失效日期必须晚于生效日期。";
  }
  return "";
}

async function save(event) {
  event.preventDefault();
  const body = collect();
  const problem = check(body);
  if (problem) { msg(problem, "error"); return; }
  const id = ed.id;
  const seq = ed.seq;
  $("ed-save").disabled = true;
  msg("正在保存……");
  try {
    const item = id ? await api("PUT", itemPath(id), body) : await api("POST", "/api/admin/items", body);
    if (seq !== ed.seq) return;
    const next = item.live_version ? "须提交审核并发布后才会替换线上的 v" + item.live_version + "。"
                                   : "确认无误后请点“提交审核”。";
    const warning = item.department_warning ? "注意：" + item.department_warning : "";  // the department registry
    setPending(item.id, "已保存为草稿 v" + item.version + "，" + next + warning, warning ? "error" : "ok");
    go("#item/" + item.id);
  } catch (err) {
    if (seq !== ed.seq) return;
    if (err.status === 409 && id) {
      msg(err.message + "。您本次的修改尚未保存：可先复制需要保留的内容，再点“加载最新版本”。", "error");
      show($("ed-reload"), true);
    } else {
      msg("保存失败：" + err.message, "error");
    }
  } finally {
    if (seq === ed.seq) $("ed-save").disabled = false;
  }
}

async function reload() {
  if (!ed.id) return;
  show($("ed-reload"), false);
  await loadItem(ed.id);
  if (ed.item) msg("已加载最新版本 v" + ed.item.version + "，请在此基础上修改后保存。", "ok");
}

export function setup() {
  $("editor-form").addEventListener("submit", save);
  $("ed-reload").addEventListener("click", reload);
  $("ed-cancel").addEventListener("click", () => go(ed.id ? "#item/" + ed.id : "#items"));
}

export const routes = {
  new: { tab: "items", view: "view-editor", enter: enterNew },
  edit: { tab: "items", view: "view-editor", enter: enterEdit },
};

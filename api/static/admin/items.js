/* The policy owners' console: the content list (内容管理) with its filters and pages. */

import { $, clear, el, note, show } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { query } from "../shared/http.js";
import { KINDS, KIND_LABEL, STATUSES } from "./vocabulary.js";
import { api, canEdit, isAdmin } from "./session.js";
import { go } from "./router.js";
import { badge, cell, fillSelect } from "./widgets.js";

const SIZE = 20;
const list = { page: 1, seq: 0, filters: null };

function filters() {
  return { kind: $("f-kind").value, status: $("f-status").value,
           department: isAdmin() ? $("f-dept").value.trim() : "", q: $("f-q").value.trim(),
           expiring_days: $("f-expiring").checked ? 30 : "" };
}

function versionText(item) {
  let text = "v" + item.version;
  if (item.live_version && item.live_version !== item.version) text += "（线上 v" + item.live_version + "）";
  return text;
}

function expiryCell(item) {
  if (!item.expiry_date) return el("span", "ga-muted", "长期");
  const days = Math.round((new Date(item.expiry_date + "T00:00:00") - new Date()) / 86400000);
  const node = el("span", null, item.expiry_date);
  if (item.status !== "abolished" && days <= 30) {
    node.className = "ga-warn";
    node.textContent = item.expiry_date + (days < 0 ? "（已过期）" : "（" + Math.max(days, 0) + "天后到期）");
  }
  return node;
}

function statusCell(item) {
  const box = el("span", "ga-status-cell");
  box.appendChild(badge(item.status, item.status_label));
  if (item.answering && item.status !== "published") box.appendChild(el("span", "ga-badge is-live", "线上答复中"));
  return box;
}

function row(item) {
  const tr = el("tr");
  tr.setAttribute("data-item-id", String(item.id));
  cell(tr, "编号", "#" + item.id, "ga-num");
  const link = el("a", "ga-item-link", item.title || "（无标题）");
  link.href = "#item/" + item.id;
  link.setAttribute("data-testid", "item-link");
  cell(tr, "标题", link, "ga-title-cell");
  cell(tr, "类型", item.kind_label || KIND_LABEL[item.kind]);
  cell(tr, "部门", item.department || "—");
  cell(tr, "状态", statusCell(item));
  cell(tr, "版本", versionText(item));
  cell(tr, "有效期至", expiryCell(item));
  cell(tr, "更新时间", dateTime(item.updated_at));
  return tr;
}

function render(data) {
  const body = $("items-body");
  clear(body);
  const rows = data.items || [];
  rows.forEach((item) => body.appendChild(row(item)));
  show($("items-empty"), !rows.length);
  const pages = Math.max(1, Math.ceil((data.total || 0) / SIZE));
  $("page-info").textContent = "共 " + (data.total || 0) + " 条 · 第 " + list.page + " / " + pages + " 页";
  $("page-prev").disabled = list.page <= 1;
  $("page-next").disabled = list.page >= pages;
}

async function load() {
  const seq = ++list.seq;
  const f = list.filters || filters();
  list.filters = f;
  note($("items-msg"), "正在加载……");
  const params = { kind: f.kind, status: f.status, department: f.department, q: f.q, expiring_days: f.expiring_days,
                   page: list.page, size: SIZE };
  try {
    const data = await api("GET", "/api/admin/items" + query(params));
    if (seq !== list.seq) return;
    note($("items-msg"), "");
    render(data || {});
  } catch (err) {
    if (seq === list.seq) note($("items-msg"), "列表加载失败：" + err.message, "error");
  }
}

export function setup() {
  fillSelect($("f-kind"), KINDS);
  fillSelect($("f-status"), STATUSES);
  fillSelect($("new-kind"), KINDS);
  $("items-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    list.filters = filters();
    list.page = 1;
    load();
  });
  ["f-expiring", "f-kind", "f-status"].forEach((id) => {
    $(id).addEventListener("change", () => $("items-filter").requestSubmit());
  });
  $("page-prev").addEventListener("click", () => { if (list.page > 1) { list.page -= 1; load(); } });
  $("page-next").addEventListener("click", () => { list.page += 1; load(); });
  $("btn-new").addEventListener("click", () => go("#new/" + $("new-kind").value));
}

export function onLogin() {
  show($("f-dept-box"), isAdmin());
  show($("new-box"), canEdit());
  list.page = 1;
}

export const routes = {
  items: { tab: "items", view: "view-items", enter: () => { load(); } },
};

/* The policy owners' console: gold questions (标准问题) — the list with ✓/✗, add, delete. */

import { $, button, clear, el, note, show } from "../shared/dom.js";
import { query } from "../shared/http.js";
import { api, isAdmin } from "./session.js";
import { cell, emptyRow, outcomeText } from "./widgets.js";

const gold = { seq: 0, armed: null };

function msg(message, kind) { note($("gold-msg"), message, kind); }

function deleteButton(g) {
  const b = button("删除", "ga-small", "gold-delete");
  b.addEventListener("click", async () => {
    if (gold.armed !== g.id) {  // two clicks: the first asks
      gold.armed = g.id;
      b.textContent = "确认删除？";
      b.classList.add("ga-danger");
      return;
    }
    gold.armed = null;
    b.disabled = true;
    try {
      await api("DELETE", "/api/admin/gold/" + encodeURIComponent(g.id));
    } catch (err) {
      b.disabled = false;
      msg("删除失败：" + err.message, "error");
      return;
    }
    msg("已删除标准问题“" + g.question + "”。", "ok");
    load();
  });
  return b;
}

function render(data) {
  const body = $("gold-body");
  clear(body);
  const list = data.gold || [];
  const passing = list.filter((g) => g.passing).length;
  $("gold-summary").textContent = list.length ? "共 " + list.length + " 个标准问题，" + passing + " 个答对，" +
    (list.length - passing) + " 个未答对。" : "";
  if (!list.length) emptyRow(body, 5, "还没有标准问题。在上方输入问题和必须答出的条目编号即可添加。");
  list.forEach((g) => {
    const tr = el("tr", g.passing ? "is-pass" : "is-fail");
    tr.setAttribute("data-gold-id", String(g.id));
    cell(tr, "标准问题", g.question);
    const link = el("a", null, "#" + g.item_id);
    link.href = "#item/" + g.item_id;
    cell(tr, "应答条目", link);
    cell(tr, "现在的答复", outcomeText(g.before));
    cell(tr, "结果", el("span", "ga-pass " + (g.passing ? "is-pass" : "is-fail"), g.passing ? "✓ 答对" : "✗ 未答对"));
    cell(tr, "操作", deleteButton(g));
    body.appendChild(tr);
  });
}

async function load() {
  const seq = ++gold.seq;
  gold.armed = null;
  const params = query({ department: isAdmin() ? $("gold-dept").value.trim() : "" });
  $("gold-summary").textContent = "正在检查每个标准问题的当前答复……";
  try {
    const data = await api("GET", "/api/admin/gold" + params);
    if (seq === gold.seq) render(data || {});
  } catch (err) {
    if (seq !== gold.seq) return;
    $("gold-summary").textContent = "";
    msg("标准问题加载失败：" + err.message, "error");
  }
}

async function add(event) {
  event.preventDefault();
  const question = $("gold-question").value.trim();
  const itemText = $("gold-item").value.trim().replace(/^#/, "");
  if (question.length < 2) { msg("请填写标准问题（至少2个字）。", "error"); $("gold-question").focus(); return; }
  if (!/^\d+$/.test(itemText)) { msg("请填写必须答出该问题的条目编号（数字，如 12）。", "error"); $("gold-item").focus(); return; }
  $("gold-add").disabled = true;
  try {
    const g = await api("POST", "/api/admin/gold", { question, item_id: parseInt(itemText, 10) });
    $("gold-question").value = "";
    $("gold-item").value = "";
    msg("已添加标准问题“" + g.question + "”（应答条目 #" + g.item_id + "）。", "ok");
    load();
  } catch (err) {
    msg("添加失败：" + err.message, "error");
  } finally {
    $("gold-add").disabled = false;
  }
}

export function setup() {
  $("gold-form").addEventListener("submit", add);
  $("gold-filter").addEventListener("submit", (event) => { event.preventDefault(); msg(""); load(); });
}

export function onLogin() { show($("gold-filter"), isAdmin()); }

export const routes = {
  gold: { tab: "gold", view: "view-gold", enter: () => { msg(""); load(); } },
};

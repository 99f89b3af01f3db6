/* The policy owners' console: knowledge gaps (知识缺口) and analytics (统计分析). */

import { $, button, clear, el, note, show } from "../shared/dom.js";
import { dateTime, percent } from "../shared/format.js";
import { query } from "../shared/http.js";
import { api, canEdit, isAdmin, seesAllDepartments } from "./session.js";
import { go } from "./router.js";
import { cell, emptyRow, setPending } from "./widgets.js";
import { bars, lines } from "./charts.js";

const SOURCE = { no_answer: "未能回答", unhelpful: "评价“没用”", flag: "坐席标记" };
const FLAG = { wrong: "答案错误", missing: "知识缺失" };
const COLORS = { no_answer: "#c8161d", handoff: "#0b5cad", satisfaction: "#1e7b34" };
const gaps = { seq: 0 };
const stats = { seq: 0 };

const department = (input) => (seesAllDepartments() ? $(input).value.trim() : "");

/* ---------------------------------------------------------------- gaps ------------------- */
function trendText(t) {
  const now = (t && t.this_week) || 0;
  const before = (t && t.last_week) || 0;
  const arrow = now > before ? "↑" : now < before ? "↓" : "→";
  return "最近7天 " + now + " 次，之前7天 " + before + " 次 " + arrow;
}

const sourcesText = (sources) => Object.keys(SOURCE).filter((k) => sources && sources[k])
  .map((k) => SOURCE[k] + " " + sources[k]).join(" · ");

function draftButton(group, status) {
  const b = button("生成问答草稿", "ga-primary ga-small", "gap-draft");
  b.addEventListener("click", async () => {
    const body = { kind: "qa", fields: { question: group.draft_question || group.question } };
    if (isAdmin()) {
      body.department = group.department || department("gaps-dept");
      if (!body.department) { note(status, "该组问题没有对应部门，请先在上方填写部门再生成。", "error"); return; }
    }
    b.disabled = true;
    let item;
    try {
      item = await api("POST", "/api/admin/items", body);
    } catch (err) {
      b.disabled = false;
      note(status, "生成草稿失败：" + err.message, "error");
      return;
    }
    setPending(item.id, "已根据知识缺口生成问答草稿 #" + item.id + "，请补充答案后保存，再提交审核。", "ok");
    go("#edit/" + item.id);
  });
  return b;
}

function groupCard(g) {
  const li = el("li", "ga-gap");
  li.setAttribute("data-gap-id", g.id || "");
  const head = el("div", "ga-gap-head");
  head.appendChild(el("span", "ga-gap-count", g.count + " 次"));
  head.appendChild(el("h3", "ga-gap-question", g.question));
  li.appendChild(head);
  const meta = [trendText(g.trend), sourcesText(g.sources), g.department ? "部门：" + g.department : "部门未定",
                "最早 " + dateTime(g.first_seen) + "，最近 " + dateTime(g.last_seen)];
  li.appendChild(el("p", "ga-muted", meta.filter(Boolean).join(" · ")));
  const others = (g.examples || []).filter((e) => e !== g.question);
  if (others.length) {
    li.appendChild(el("div", "ga-sub", "其他问法："));
    const ul = el("ul", "ga-examples");
    others.forEach((e) => ul.appendChild(el("li", null, e)));
    li.appendChild(ul);
  }
  if ((g.items || []).length) {
    const items = el("p", "ga-related", "相关条目：");
    g.items.forEach((it, i) => {
      if (i) items.appendChild(document.createTextNode("、"));
      const a = el("a", null, "#" + it.id + " " + (it.title || "") + "（" + it.count + " 次）");
      a.href = "#item/" + it.id;
      items.appendChild(a);
    });
    li.appendChild(items);
  }
  if ((g.flags || []).length) {
    li.appendChild(el("div", "ga-sub", "坐席标记："));
    const flags = el("ul", "ga-flags");
    g.flags.forEach((f) => {
      flags.appendChild(el("li", null, "坐席 " + (f.operator || "") + " 标记为" + (FLAG[f.kind] || f.kind) +
        (f.item_id ? "（条目 #" + f.item_id + "）" : "") + (f.note ? "：" + f.note : "") + " · " + dateTime(f.time)));
    });
    li.appendChild(flags);
  }
  const status = el("p", "ga-note");
  status.hidden = true;
  if (canEdit()) {
    const actions = el("div", "ga-actions");
    actions.appendChild(draftButton(g, status));
    li.appendChild(actions);
  }
  li.appendChild(status);
  return li;
}

async function loadGaps() {
  const seq = ++gaps.seq;
  const list = $("gaps-list");
  note($("gaps-msg"), "正在分析……");
  const params = query({ days: $("gaps-days").value, department: department("gaps-dept") });
  try {
    const data = await api("GET", "/api/admin/gaps" + params);
    if (seq !== gaps.seq) return;
    note($("gaps-msg"), "");
    clear(list);
    const groups = (data && data.groups) || [];
    $("gaps-summary").textContent = groups.length ? "共 " + (data.total || groups.length) + " 组问题" +
      (data.total > groups.length ? "，显示前 " + groups.length + " 组" : "") + "。"
      : "这段时间没有发现知识缺口。";
    groups.forEach((g) => list.appendChild(groupCard(g)));
  } catch (err) {
    if (seq !== gaps.seq) return;
    $("gaps-summary").textContent = "";
    note($("gaps-msg"), "知识缺口加载失败：" + err.message, "error");
  }
}

/* ---------------------------------------------------------------- analytics -------------- */
const weekLabel = (iso) => String(iso || "").slice(5);

function card(label, value, sub) {
  const box = el("div", "ga-stat");
  box.appendChild(el("div", "ga-stat-label", label));
  box.appendChild(el("div", "ga-stat-value", value));
  if (sub) box.appendChild(el("div", "ga-muted", sub));
  return box;
}

function renderTotals(totals) {
  const box = $("an-totals");
  clear(box);
  const t = totals || {};
  box.appendChild(card("提问数", String(t.questions || 0), "已回答 " + (t.answered || 0)));
  box.appendChild(card("回答率", percent(t.answered_rate)));
  box.appendChild(card("未回答率", percent(t.no_answer_rate), "未能回答 " + (t.no_answer || 0)));
  box.appendChild(card("转人工率", percent(t.handoff_rate),
                       "会话 " + (t.conversations || 0) + "，转人工 " + (t.handed_off || 0)));
  box.appendChild(card("满意度", percent(t.satisfaction), "评价 " + (t.feedback || 0) + "，有用 " + (t.helpful || 0)));
}

function renderCharts(series) {
  const labels = series.map((w) => weekLabel(w.week_start));
  bars($("chart-questions"), { title: "每周提问量", labels, values: series.map((w) => w.questions) });
  lines($("chart-rates"), { title: "每周未回答率、转人工率与满意度", labels, max: 1, series: [
    { name: "未回答率", color: COLORS.no_answer, values: series.map((w) => w.no_answer_rate) },
    { name: "转人工率", color: COLORS.handoff, values: series.map((w) => w.handoff_rate) },
    { name: "满意度", color: COLORS.satisfaction, values: series.map((w) => w.satisfaction) },
  ] });
}

function renderTop(rows) {
  const body = $("an-top");
  clear(body);
  if (!rows.length) emptyRow(body, 3, "暂无数据");
  rows.forEach((r) => {
    const tr = el("tr");
    cell(tr, "问题", r.question);
    cell(tr, "次数", r.count);
    cell(tr, "已回答", r.answered);
    body.appendChild(tr);
  });
}

function renderRising(rows) {
  const body = $("an-rising");
  clear(body);
  if (!rows.length) emptyRow(body, 4, "暂无明显上升的话题");
  rows.forEach((r) => {
    const tr = el("tr");
    const topic = r.topic || "（未命名）";
    if (r.kind === "item" && r.item_id) {
      const a = el("a", null, topic);
      a.href = "#item/" + r.item_id;
      cell(tr, "话题", a);
    } else {
      cell(tr, "话题", topic + (r.kind === "question" ? "（未能回答）" : ""));
    }
    cell(tr, "本周", r.this_week);
    cell(tr, "上周", r.last_week);
    cell(tr, "增长", r.growth === null || r.growth === undefined ? "新出现" : "+" + percent(r.growth));
    body.appendChild(tr);
  });
}

function renderDepartments(rows) {
  const body = $("an-departments");
  clear(body);
  if (!rows.length) emptyRow(body, 8, "暂无数据");
  rows.forEach((d) => {
    const tr = el("tr");
    cell(tr, "部门", d.department || "（未归属部门）");
    cell(tr, "提问数", d.questions);
    cell(tr, "回答率", percent(d.answered_rate));
    cell(tr, "未回答率", percent(d.no_answer_rate));
    cell(tr, "会话数", d.conversations);
    cell(tr, "转人工率", percent(d.handoff_rate));
    cell(tr, "评价数", d.feedback);
    cell(tr, "满意度", percent(d.satisfaction));
    body.appendChild(tr);
  });
}

async function loadAnalytics() {
  const seq = ++stats.seq;
  const params = { weeks: $("an-weeks").value, department: department("an-dept") };
  $("analytics-csv").href = "/api/admin/analytics.csv" + query(params);
  note($("an-msg"), "正在统计……");
  try {
    const data = (await api("GET", "/api/admin/analytics" + query(params))) || {};
    if (seq !== stats.seq) return;
    note($("an-msg"), "统计范围：" + dateTime(data.from) + " 至 " + dateTime(data.to) +
      (data.department ? "，" + data.department : "，全部部门") + "。");
    renderTotals(data.totals);
    renderCharts(data.series || []);
    renderTop(data.top_questions || []);
    renderRising(data.rising || []);
    renderDepartments(data.departments || []);
  } catch (err) {
    if (seq === stats.seq) note($("an-msg"), "统计数据加载失败：" + err.message, "error");
  }
}

export function setup() {
  $("gaps-filter").addEventListener("submit", (event) => { event.preventDefault(); loadGaps(); });
  $("gaps-days").addEventListener("change", loadGaps);
  $("analytics-filter").addEventListener("submit", (event) => { event.preventDefault(); loadAnalytics(); });
  $("an-weeks").addEventListener("change", loadAnalytics);
}

export function onLogin() {
  show($("gaps-dept-box"), seesAllDepartments());
  show($("an-dept-box"), seesAllDepartments());
}

export const routes = {
  gaps: { tab: "gaps", view: "view-gaps", enter: loadGaps },
  analytics: { tab: "analytics", view: "view-analytics", enter: loadAnalytics },
};

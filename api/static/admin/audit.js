/* The policy owners' console: the audit log (审计日志) — filters, the table, CSV export. */

import { $, clear, el, note } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { query } from "../shared/http.js";
import { api } from "./session.js";
import { cell, emptyRow, fillSelect } from "./widgets.js";

const SIZE = 50;
const ACTIONS = [
  ["item.", "全部内容操作"], ["item.create", "新建条目"], ["item.edit", "编辑条目"], ["item.submit", "提交审核"],
  ["item.return", "退回修改"], ["item.publish", "发布"], ["item.abolish", "废止"], ["item.rollback", "回退版本"],
  ["item.import", "批量导入"], ["gold.", "标准问题"], ["login", "登录"], ["logout", "退出登录"], ["user.", "账号管理"],
  ["flag.add", "坐席标记"], ["conversation.", "坐席会话操作"], ["workorder.create", "创建工单"],
];
const LABEL = { "login.failed": "登录失败", "gold.add": "添加标准问题", "gold.remove": "删除标准问题", "user.add": "添加账号",
                "conversation.claim": "接手会话", "conversation.release": "结束人工", "conversation.transfer": "转交会话",
                "conversation.message": "坐席发送消息" };
ACTIONS.forEach(([action, label]) => { if (!action.endsWith(".")) LABEL[action] = LABEL[action] || label; });
const audit = { offset: 0, seq: 0, params: {} };

function msg(message, kind) { note($("au-msg"), message, kind); }

function filters() {
  return { actor: $("au-actor").value.trim(), action: $("au-action").value, target: $("au-target").value.trim(),
           q: $("au-q").value.trim(), since: $("au-since").value, until: $("au-until").value };
}

function csvLink(params) {
  $("audit-csv").href = "/api/admin/audit" + query({ format: "csv", limit: 10000, ...params });
}

function json(value) {
  if (value === null || value === undefined) return "";
  try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
}

function changeCell(entry) {
  const before = json(entry.before);
  const after = json(entry.after);
  if (!before && !after) return el("span", "ga-muted", "—");
  const details = el("details", "ga-json");
  details.appendChild(el("summary", null, "查看"));
  if (before) { details.appendChild(el("div", "ga-tag", "修改前")); details.appendChild(el("pre", null, before)); }
  if (after) { details.appendChild(el("div", "ga-tag", "修改后")); details.appendChild(el("pre", null, after)); }
  return details;
}

function render(data) {
  const body = $("audit-body");
  clear(body);
  const entries = data.entries || [];
  if (!entries.length) emptyRow(body, 7, "没有符合条件的记录");
  entries.forEach((e) => {
    const tr = el("tr");
    cell(tr, "时间", dateTime(e.time));
    cell(tr, "操作人", e.actor);
    cell(tr, "操作", LABEL[e.action] ? LABEL[e.action] + "（" + e.action + "）" : e.action);
    cell(tr, "对象", e.target || "");
    cell(tr, "IP", e.ip || "");
    cell(tr, "说明", e.note || "");
    cell(tr, "修改前后", changeCell(e));
    body.appendChild(tr);
  });
  const total = data.total || 0;
  const page = Math.floor(audit.offset / SIZE) + 1;
  const pages = Math.max(1, Math.ceil(total / SIZE));
  $("au-page").textContent = "共 " + total + " 条 · 第 " + page + " / " + pages + " 页";
  $("au-prev").disabled = audit.offset <= 0;
  $("au-next").disabled = audit.offset + SIZE >= total;
}

async function load() {
  const seq = ++audit.seq;
  const params = { ...audit.params, limit: SIZE, offset: audit.offset };
  msg("正在加载……");
  try {
    const data = await api("GET", "/api/admin/audit" + query(params));
    if (seq !== audit.seq) return;
    msg("");
    render(data || {});
  } catch (err) {
    if (seq === audit.seq) msg("审计日志加载失败：" + err.message, "error");
  }
}

function search(event) {
  event.preventDefault();
  const f = filters();
  if (f.since && f.until && f.until < f.since) { msg("截止日期不能早于起始日期。", "error"); return; }
  audit.params = f;
  audit.offset = 0;
  csvLink(f);
  load();
}

export function setup() {
  fillSelect($("au-action"), ACTIONS);
  $("audit-filter").addEventListener("submit", search);
  $("au-prev").addEventListener("click", () => { audit.offset = Math.max(0, audit.offset - SIZE); load(); });
  $("au-next").addEventListener("click", () => { audit.offset += SIZE; load(); });
}

export const routes = {
  audit: { tab: "audit", view: "view-audit", enter: () => { csvLink(audit.params); load(); } },
};

/* The policy owners' console: one item's version history — every step of every version, the diff
 * between two versions, and rollback to an earlier one. Part of the item view (item.js), which
 * hands over its current item and workflow step in `setup`. */

import { $, button, clear, el, note, show } from "../shared/dom.js";
import { dateTime } from "../shared/format.js";
import { query } from "../shared/http.js";
import { api, canEdit, itemPath } from "./session.js";
import { badge, cell } from "./widgets.js";

// The item view: {id(), item(), step(button, method, tail, body, done), render(item), msg(message, kind)}.
let view = null;
let rollbackArmed = null;

export const isOpen = () => !$("versions-panel").hidden;

/** Another item: the panel closes and the last diff goes. */
export function reset() {
  show($("versions-panel"), false);
  clear($("diff-out"));
}

function radio(name, value, checked, label) {
  const input = el("input");
  input.type = "radio";
  input.name = name;
  input.value = String(value);
  input.checked = checked;
  input.setAttribute("aria-label", label);
  input.setAttribute("data-testid", name + "-" + value);
  return input;
}

function rollbackButton(v, item) {
  const b = button("回退到此版本", "ga-small", "rollback-" + v.version);
  b.addEventListener("click", () => {
    if (rollbackArmed !== v.version) {  // two clicks: the first asks, the second does it
      rollbackArmed = v.version;
      b.textContent = "确认回退到 v" + v.version + "？";
      b.classList.add("ga-danger");
      return;
    }
    rollbackArmed = null;
    view.step(b, "POST", "/rollback", { version: v.version, expect_version: item.version }, (updated) => {
      view.render(updated);
      view.msg("已回退到 v" + v.version + " 的内容，生成新草稿 v" + updated.version + "，须重新提交审核后生效。", "ok");
    });
  });
  return b;
}

/* The history lists every step (edit, submit, publish...): several rows may share a version.
 * Versions are compared and rolled back to by number, so only each version's latest row gets
 * the radio buttons and the rollback button. */
function render(data) {
  const body = $("versions-body");
  clear(body);
  const rows = (data.versions || []).map((v, i) => ({ v, i }));
  rows.sort((x, y) => y.v.version - x.v.version || y.i - x.i);
  const numbers = [];
  rows.forEach((r) => { if (!numbers.includes(r.v.version)) numbers.push(r.v.version); });
  const b = data.version;
  const a = data.live_version && data.live_version !== data.version ? data.live_version
    : numbers.filter((n) => n < b)[0] || null;
  const item = view.item() || {};
  const seen = {};
  rows.forEach(({ v }) => {
    const first = !seen[v.version];
    seen[v.version] = true;
    const tr = el("tr", first ? "ga-version-head" : "ga-version-step");
    cell(tr, "甲", first ? radio("va", v.version, v.version === a, "比较版本甲：v" + v.version) : "");
    cell(tr, "乙", first ? radio("vb", v.version, v.version === b, "比较版本乙：v" + v.version) : "");
    cell(tr, "版本", "v" + v.version + (first && v.version === data.live_version ? "（线上）" : ""));
    cell(tr, "状态", badge(v.status));
    cell(tr, "操作人", v.actor || "—");
    cell(tr, "说明", v.note || "");
    cell(tr, "时间", dateTime(v.created_at));
    const actions = cell(tr, "操作", "");
    if (first && v.version < data.version && item.status !== "abolished" && canEdit()) {
      actions.appendChild(rollbackButton(v, item));
    }
    body.appendChild(tr);
  });
  $("diff-run").disabled = numbers.length < 2;
  if (numbers.length < 2) note($("versions-msg"), "目前只有一个版本，修改保存后即可比较。");
}

export async function load() {
  const id = view.id();
  rollbackArmed = null;
  note($("versions-msg"), "正在加载版本历史……");
  try {
    const data = await api("GET", itemPath(id, "/versions"));
    if (id !== view.id()) return;
    note($("versions-msg"), "");
    render(data);
  } catch (err) {
    if (id === view.id()) note($("versions-msg"), "版本历史加载失败：" + err.message, "error");
  }
}

function checked(name) {
  const node = document.querySelector('input[name="' + name + '"]:checked');
  return node ? parseInt(node.value, 10) : null;
}

function changeBox(c) {
  const box = el("div", "ga-change-box");
  box.setAttribute("data-field", c.field);
  box.appendChild(el("h5", null, c.label || c.field));
  if (c.lines && c.lines.length && (c.before.indexOf("\n") >= 0 || c.after.indexOf("\n") >= 0)) {
    const pre = el("div", "ga-lines");
    c.lines.forEach((line, i) => {
      if (line.indexOf("@@") === 0) {  // a hunk header: only a gap marker between hunks
        if (i) pre.appendChild(el("div", "ga-line is-hunk", "⋯"));
        return;
      }
      const kind = line.charAt(0) === "+" ? "is-add" : line.charAt(0) === "-" ? "is-del" : "is-ctx";
      pre.appendChild(el("div", "ga-line " + kind, line));
    });
    box.appendChild(pre);
  } else {
    const before = el("div", "ga-before");
    before.appendChild(el("span", "ga-tag", "修改前"));
    before.appendChild(el("del", null, c.before || "（空）"));
    const after = el("div", "ga-after");
    after.appendChild(el("span", "ga-tag", "修改后"));
    after.appendChild(el("ins", null, c.after || "（空）"));
    box.appendChild(before);
    box.appendChild(after);
  }
  return box;
}

function renderDiff(data) {
  const out = $("diff-out");
  clear(out);
  out.appendChild(el("h4", null, "v" + data.a + " → v" + data.b + " 的差异"));
  const changes = data.changes || [];
  if (!changes.length) {
    out.appendChild(el("p", "ga-muted", "这两个版本的内容相同（可能只是状态不同）。"));
    return;
  }
  changes.forEach((c) => out.appendChild(changeBox(c)));
}

async function compare() {
  const a = checked("va");
  const b = checked("vb");
  if (!a || !b) { note($("versions-msg"), "请在“甲”“乙”两列各选一个版本。", "error"); return; }
  if (a === b) { note($("versions-msg"), "请选择两个不同的版本进行比较。", "error"); return; }
  const id = view.id();
  note($("versions-msg"), "");
  try {
    const data = await api("GET", itemPath(id, "/diff" + query({ a, b })));
    if (id === view.id()) renderDiff(data);
  } catch (err) {
    if (id === view.id()) note($("versions-msg"), "比较失败：" + err.message, "error");
  }
}

export function setup(itemView) {
  view = itemView;
  $("act-versions").addEventListener("click", () => {
    const panel = $("versions-panel");
    show(panel, panel.hidden);
    if (!panel.hidden) { clear($("diff-out")); load(); panel.scrollIntoView({ block: "nearest" }); }
  });
  $("diff-run").addEventListener("click", compare);
}

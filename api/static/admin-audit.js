/* govbot policy-owner console: the audit log (审计日志) — filters, the table, CSV export. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var SIZE = 50;
  var ACTIONS = [
    ["item.", "全部内容操作"], ["item.create", "新建条目"], ["item.edit", "编辑条目"], ["item.submit", "提交审核"],
    ["item.return", "退回修改"], ["item.publish", "发布"], ["item.abolish", "废止"], ["item.rollback", "回退版本"],
    ["item.import", "批量导入"], ["gold.", "标准问题"], ["login", "登录"], ["logout", "退出登录"], ["user.", "账号管理"],
    ["flag.add", "坐席标记"], ["conversation.", "坐席会话操作"], ["workorder.create", "创建工单"]
  ];
  var LABEL = { "login.failed": "登录失败", "gold.add": "添加标准问题", "gold.remove": "删除标准问题", "user.add": "添加账号",
                "conversation.claim": "接手会话", "conversation.release": "结束人工", "conversation.transfer": "转交会话",
                "conversation.message": "坐席发送消息" };
  ACTIONS.forEach(function (a) { if (a[0].slice(-1) !== ".") LABEL[a[0]] = LABEL[a[0]] || a[1]; });
  var audit = { offset: 0, seq: 0, params: {} };

  A.fillSelect($("au-action"), ACTIONS);

  function msg(message, kind) { A.note($("au-msg"), message, kind); }

  function filters() {
    return { actor: $("au-actor").value.trim(), action: $("au-action").value, target: $("au-target").value.trim(),
             q: $("au-q").value.trim(), since: $("au-since").value, until: $("au-until").value };
  }

  function csvLink(params) {
    var p = { format: "csv", limit: 10000 };
    Object.keys(params).forEach(function (k) { p[k] = params[k]; });
    $("audit-csv").href = "/api/admin/audit" + A.query(p);
  }

  function json(value) {
    if (value === null || value === undefined) return "";
    try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
  }

  function changeCell(entry) {
    var before = json(entry.before);
    var after = json(entry.after);
    if (!before && !after) return A.el("span", "ga-muted", "—");
    var details = A.el("details", "ga-json");
    details.appendChild(A.el("summary", null, "查看"));
    if (before) { details.appendChild(A.el("div", "ga-tag", "修改前")); details.appendChild(A.el("pre", null, before)); }
    if (after) { details.appendChild(A.el("div", "ga-tag", "修改后")); details.appendChild(A.el("pre", null, after)); }
    return details;
  }

  function render(data) {
    var body = $("audit-body");
    A.clear(body);
    var entries = data.entries || [];
    if (!entries.length) A.emptyRow(body, 7, "没有符合条件的记录");
    entries.forEach(function (e) {
      var tr = A.el("tr");
      A.cell(tr, "时间", A.time(e.time));
      A.cell(tr, "操作人", e.actor);
      A.cell(tr, "操作", LABEL[e.action] ? LABEL[e.action] + "（" + e.action + "）" : e.action);
      A.cell(tr, "对象", e.target || "");
      A.cell(tr, "IP", e.ip || "");
      A.cell(tr, "说明", e.note || "");
      A.cell(tr, "修改前后", changeCell(e));
      body.appendChild(tr);
    });
    var total = data.total || 0;
    var page = Math.floor(audit.offset / SIZE) + 1;
    var pages = Math.max(1, Math.ceil(total / SIZE));
    $("au-page").textContent = "共 " + total + " 条 · 第 " + page + " / " + pages + " 页";
    $("au-prev").disabled = audit.offset <= 0;
    $("au-next").disabled = audit.offset + SIZE >= total;
  }

  function load() {
    var seq = ++audit.seq;
    var p = {};
    Object.keys(audit.params).forEach(function (k) { p[k] = audit.params[k]; });
    p.limit = SIZE;
    p.offset = audit.offset;
    msg("正在加载……");
    return A.api("GET", "/api/admin/audit" + A.query(p)).then(function (data) {
      if (seq !== audit.seq) return;
      msg("");
      render(data || {});
    }, function (err) {
      if (seq === audit.seq) msg("审计日志加载失败：" + err.message, "error");
    });
  }

  $("audit-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    var f = filters();
    if (f.since && f.until && f.until < f.since) { msg("截止日期不能早于起始日期。", "error"); return; }
    audit.params = f;
    audit.offset = 0;
    csvLink(f);
    load();
  });
  $("au-prev").addEventListener("click", function () { audit.offset = Math.max(0, audit.offset - SIZE); load(); });
  $("au-next").addEventListener("click", function () { audit.offset += SIZE; load(); });

  A.route("audit", { tab: "audit", view: "view-audit", enter: function () { csvLink(audit.params); load(); } });
})();

/* govbot policy-owner console: the content list (内容管理) with its filters and pages. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var SIZE = 20;
  var list = { page: 1, seq: 0, filters: null };

  A.fillSelect($("f-kind"), A.KINDS);
  A.fillSelect($("f-status"), A.STATUSES);
  A.fillSelect($("new-kind"), A.KINDS);

  A.onLogin.push(function () {
    A.show($("f-dept-box"), A.isAdmin());
    A.show($("new-box"), A.canEdit());
    list.page = 1;
  });

  function filters() {
    return { kind: $("f-kind").value, status: $("f-status").value,
             department: A.isAdmin() ? $("f-dept").value.trim() : "", q: $("f-q").value.trim(),
             expiring_days: $("f-expiring").checked ? 30 : "" };
  }

  function versionText(item) {
    var text = "v" + item.version;
    if (item.live_version && item.live_version !== item.version) text += "（线上 v" + item.live_version + "）";
    return text;
  }

  function expiryCell(item) {
    if (!item.expiry_date) return A.el("span", "ga-muted", "长期");
    var days = Math.round((new Date(item.expiry_date + "T00:00:00") - new Date()) / 86400000);
    var node = A.el("span", null, item.expiry_date);
    if (item.status !== "abolished" && days <= 30) {
      node.className = "ga-warn";
      node.textContent = item.expiry_date + (days < 0 ? "（已过期）" : "（" + Math.max(days, 0) + "天后到期）");
    }
    return node;
  }

  function statusCell(item) {
    var box = A.el("span", "ga-status-cell");
    box.appendChild(A.badge(item.status, item.status_label));
    if (item.answering && item.status !== "published") box.appendChild(A.el("span", "ga-badge is-live", "线上答复中"));
    return box;
  }

  function row(item) {
    var tr = A.el("tr");
    tr.setAttribute("data-item-id", String(item.id));
    A.cell(tr, "编号", "#" + item.id, "ga-num");
    var link = A.el("a", "ga-item-link", item.title || "（无标题）");
    link.href = "#item/" + item.id;
    link.setAttribute("data-testid", "item-link");
    A.cell(tr, "标题", link, "ga-title-cell");
    A.cell(tr, "类型", item.kind_label || A.KIND_LABEL[item.kind]);
    A.cell(tr, "部门", item.department || "—");
    A.cell(tr, "状态", statusCell(item));
    A.cell(tr, "版本", versionText(item));
    A.cell(tr, "有效期至", expiryCell(item));
    A.cell(tr, "更新时间", A.time(item.updated_at));
    return tr;
  }

  function render(data) {
    var body = $("items-body");
    A.clear(body);
    (data.items || []).forEach(function (item) { body.appendChild(row(item)); });
    A.show($("items-empty"), !(data.items || []).length);
    var pages = Math.max(1, Math.ceil((data.total || 0) / SIZE));
    $("page-info").textContent = "共 " + (data.total || 0) + " 条 · 第 " + list.page + " / " + pages + " 页";
    $("page-prev").disabled = list.page <= 1;
    $("page-next").disabled = list.page >= pages;
  }

  function load() {
    var seq = ++list.seq;
    var f = list.filters || filters();
    list.filters = f;
    A.note($("items-msg"), "正在加载……");
    var params = { kind: f.kind, status: f.status, department: f.department, q: f.q, expiring_days: f.expiring_days,
                   page: list.page, size: SIZE };
    return A.api("GET", "/api/admin/items" + A.query(params)).then(function (data) {
      if (seq !== list.seq) return;
      A.note($("items-msg"), "");
      render(data || {});
    }, function (err) {
      if (seq === list.seq) A.note($("items-msg"), "列表加载失败：" + err.message, "error");
    });
  }
  A.reloadItems = load;

  $("items-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    list.filters = filters();
    list.page = 1;
    load();
  });
  $("f-expiring").addEventListener("change", function () { $("items-filter").requestSubmit(); });
  $("f-kind").addEventListener("change", function () { $("items-filter").requestSubmit(); });
  $("f-status").addEventListener("change", function () { $("items-filter").requestSubmit(); });
  $("page-prev").addEventListener("click", function () { if (list.page > 1) { list.page -= 1; load(); } });
  $("page-next").addEventListener("click", function () { list.page += 1; load(); });
  $("btn-new").addEventListener("click", function () { A.go("#new/" + $("new-kind").value); });

  A.route("items", { tab: "items", view: "view-items", enter: function () { load(); } });
})();

/* govbot policy-owner console: gold questions (标准问题) — the list with ✓/✗, add, delete. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var gold = { seq: 0, armed: null };
  var ANSWER = { answered: "已回答", no_answer: "未能回答", clarify: "需要追问", handoff: "转人工", refused: "不予回答" };

  A.onLogin.push(function () { A.show($("gold-filter"), A.isAdmin()); });

  function msg(message, kind) { A.note($("gold-msg"), message, kind); }

  function answerText(o) {
    if (!o) return "—";
    if (o.item_id) return "#" + o.item_id + " " + (o.title || "");
    return ANSWER[o.status] || o.status || "—";
  }

  function deleteButton(g) {
    var b = A.button("删除", "ga-small", "gold-delete");
    b.addEventListener("click", function () {
      if (gold.armed !== g.id) {  // two clicks: the first asks
        gold.armed = g.id;
        b.textContent = "确认删除？";
        b.classList.add("ga-danger");
        return;
      }
      gold.armed = null;
      b.disabled = true;
      A.api("DELETE", "/api/admin/gold/" + encodeURIComponent(g.id)).then(function () {
        msg("已删除标准问题“" + g.question + "”。", "ok");
        load();
      }, function (err) { b.disabled = false; msg("删除失败：" + err.message, "error"); });
    });
    return b;
  }

  function render(data) {
    var body = $("gold-body");
    A.clear(body);
    var list = data.gold || [];
    var passing = list.filter(function (g) { return g.passing; }).length;
    $("gold-summary").textContent = list.length ? "共 " + list.length + " 个标准问题，" + passing + " 个答对，" +
      (list.length - passing) + " 个未答对。" : "";
    if (!list.length) A.emptyRow(body, 5, "还没有标准问题。在上方输入问题和必须答出的条目编号即可添加。");
    list.forEach(function (g) {
      var tr = A.el("tr", g.passing ? "is-pass" : "is-fail");
      tr.setAttribute("data-gold-id", String(g.id));
      A.cell(tr, "标准问题", g.question);
      var link = A.el("a", null, "#" + g.item_id);
      link.href = "#item/" + g.item_id;
      A.cell(tr, "应答条目", link);
      A.cell(tr, "现在的答复", answerText(g.before));
      A.cell(tr, "结果", A.el("span", "ga-pass " + (g.passing ? "is-pass" : "is-fail"),
                             g.passing ? "✓ 答对" : "✗ 未答对"));
      A.cell(tr, "操作", deleteButton(g));
      body.appendChild(tr);
    });
  }

  function load() {
    var seq = ++gold.seq;
    gold.armed = null;
    var query = A.query({ department: A.isAdmin() ? $("gold-dept").value.trim() : "" });
    $("gold-summary").textContent = "正在检查每个标准问题的当前答复……";
    return A.api("GET", "/api/admin/gold" + query).then(function (data) {
      if (seq === gold.seq) render(data || {});
    }, function (err) {
      if (seq !== gold.seq) return;
      $("gold-summary").textContent = "";
      msg("标准问题加载失败：" + err.message, "error");
    });
  }

  $("gold-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var question = $("gold-question").value.trim();
    var itemText = $("gold-item").value.trim().replace(/^#/, "");
    if (question.length < 2) { msg("请填写标准问题（至少2个字）。", "error"); $("gold-question").focus(); return; }
    if (!/^\d+$/.test(itemText)) { msg("请填写必须答出该问题的条目编号（数字，如 12）。", "error"); $("gold-item").focus(); return; }
    $("gold-add").disabled = true;
    A.api("POST", "/api/admin/gold", { question: question, item_id: parseInt(itemText, 10) }).then(function (g) {
      $("gold-question").value = "";
      $("gold-item").value = "";
      msg("已添加标准问题“" + g.question + "”（应答条目 #" + g.item_id + "）。", "ok");
      load();
    }, function (err) { msg("添加失败：" + err.message, "error"); })
      .then(function () { $("gold-add").disabled = false; });
  });

  $("gold-filter").addEventListener("submit", function (event) { event.preventDefault(); msg(""); load(); });

  A.route("gold", { tab: "gold", view: "view-gold", enter: function () { msg(""); load(); } });
})();

/* govbot policy-owner console: knowledge gaps (知识缺口) and analytics (统计分析). */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var SOURCE = { no_answer: "未能回答", unhelpful: "评价“没用”", flag: "坐席标记" };
  var FLAG = { wrong: "答案错误", missing: "知识缺失" };
  var COLORS = { no_answer: "#c8161d", handoff: "#0b5cad", satisfaction: "#1e7b34" };
  var gaps = { seq: 0 };
  var stats = { seq: 0 };

  A.onLogin.push(function () {
    A.show($("gaps-dept-box"), A.seesAllDepartments());
    A.show($("an-dept-box"), A.seesAllDepartments());
  });

  function department(input) { return A.seesAllDepartments() ? $(input).value.trim() : ""; }

  /* ---------------------------------------------------------------- gaps ------------------- */
  function trendText(t) {
    var now = (t && t.this_week) || 0;
    var before = (t && t.last_week) || 0;
    var arrow = now > before ? "↑" : now < before ? "↓" : "→";
    return "最近7天 " + now + " 次，之前7天 " + before + " 次 " + arrow;
  }

  function sourcesText(sources) {
    return Object.keys(SOURCE).filter(function (k) { return sources && sources[k]; })
      .map(function (k) { return SOURCE[k] + " " + sources[k]; }).join(" · ");
  }

  function draftButton(group, status) {
    var b = A.button("生成问答草稿", "ga-primary ga-small", "gap-draft");
    b.addEventListener("click", function () {
      var body = { kind: "qa", fields: { question: group.question } };
      if (A.isAdmin()) {
        body.department = group.department || department("gaps-dept");
        if (!body.department) { A.note(status, "该组问题没有对应部门，请先在上方填写部门再生成。", "error"); return; }
      }
      b.disabled = true;
      A.api("POST", "/api/admin/items", body).then(function (item) {
        A.setPending(item.id, "已根据知识缺口生成问答草稿 #" + item.id + "，请补充答案后保存，再提交审核。", "ok");
        A.go("#edit/" + item.id);
      }, function (err) {
        b.disabled = false;
        A.note(status, "生成草稿失败：" + err.message, "error");
      });
    });
    return b;
  }

  function groupCard(g) {
    var li = A.el("li", "ga-gap");
    li.setAttribute("data-gap-id", g.id || "");
    var head = A.el("div", "ga-gap-head");
    head.appendChild(A.el("span", "ga-gap-count", g.count + " 次"));
    head.appendChild(A.el("h3", "ga-gap-question", g.question));
    li.appendChild(head);
    var meta = [trendText(g.trend), sourcesText(g.sources), g.department ? "部门：" + g.department : "部门未定",
                "最早 " + A.time(g.first_seen) + "，最近 " + A.time(g.last_seen)];
    li.appendChild(A.el("p", "ga-muted", meta.filter(Boolean).join(" · ")));
    var others = (g.examples || []).filter(function (e) { return e !== g.question; });
    if (others.length) {
      li.appendChild(A.el("div", "ga-sub", "其他问法："));
      var ul = A.el("ul", "ga-examples");
      others.forEach(function (e) { ul.appendChild(A.el("li", null, e)); });
      li.appendChild(ul);
    }
    if ((g.items || []).length) {
      var items = A.el("p", "ga-related", "相关条目：");
      g.items.forEach(function (it, i) {
        if (i) items.appendChild(document.createTextNode("、"));
        var a = A.el("a", null, "#" + it.id + " " + (it.title || "") + "（" + it.count + " 次）");
        a.href = "#item/" + it.id;
        items.appendChild(a);
      });
      li.appendChild(items);
    }
    if ((g.flags || []).length) {
      li.appendChild(A.el("div", "ga-sub", "坐席标记："));
      var flags = A.el("ul", "ga-flags");
      g.flags.forEach(function (f) {
        flags.appendChild(A.el("li", null, "坐席 " + (f.operator || "") + " 标记为" + (FLAG[f.kind] || f.kind) +
          (f.item_id ? "（条目 #" + f.item_id + "）" : "") + (f.note ? "：" + f.note : "") + " · " + A.time(f.time)));
      });
      li.appendChild(flags);
    }
    var status = A.el("p", "ga-note");
    status.hidden = true;
    if (A.canEdit()) {
      var actions = A.el("div", "ga-actions");
      actions.appendChild(draftButton(g, status));
      li.appendChild(actions);
    }
    li.appendChild(status);
    return li;
  }

  function loadGaps() {
    var seq = ++gaps.seq;
    var list = $("gaps-list");
    A.note($("gaps-msg"), "正在分析……");
    var query = A.query({ days: $("gaps-days").value, department: department("gaps-dept") });
    return A.api("GET", "/api/admin/gaps" + query).then(function (data) {
      if (seq !== gaps.seq) return;
      A.note($("gaps-msg"), "");
      A.clear(list);
      var groups = (data && data.groups) || [];
      $("gaps-summary").textContent = groups.length ? "共 " + (data.total || groups.length) + " 组问题" +
        (data.total > groups.length ? "，显示前 " + groups.length + " 组" : "") + "。"
        : "这段时间没有发现知识缺口。";
      groups.forEach(function (g) { list.appendChild(groupCard(g)); });
    }, function (err) {
      if (seq !== gaps.seq) return;
      $("gaps-summary").textContent = "";
      A.note($("gaps-msg"), "知识缺口加载失败：" + err.message, "error");
    });
  }

  $("gaps-filter").addEventListener("submit", function (event) { event.preventDefault(); loadGaps(); });
  $("gaps-days").addEventListener("change", loadGaps);

  /* ---------------------------------------------------------------- analytics -------------- */
  function weekLabel(iso) { return String(iso || "").slice(5); }

  function card(label, value, sub) {
    var box = A.el("div", "ga-stat");
    box.appendChild(A.el("div", "ga-stat-label", label));
    box.appendChild(A.el("div", "ga-stat-value", value));
    if (sub) box.appendChild(A.el("div", "ga-muted", sub));
    return box;
  }

  function renderTotals(t) {
    var box = $("an-totals");
    A.clear(box);
    t = t || {};
    box.appendChild(card("提问数", String(t.questions || 0), "已回答 " + (t.answered || 0)));
    box.appendChild(card("回答率", A.percent(t.answered_rate)));
    box.appendChild(card("未回答率", A.percent(t.no_answer_rate), "未能回答 " + (t.no_answer || 0)));
    box.appendChild(card("转人工率", A.percent(t.handoff_rate),
                         "会话 " + (t.conversations || 0) + "，转人工 " + (t.handed_off || 0)));
    box.appendChild(card("满意度", A.percent(t.satisfaction), "评价 " + (t.feedback || 0) + "，有用 " + (t.helpful || 0)));
  }

  function renderCharts(series) {
    var labels = series.map(function (w) { return weekLabel(w.week_start); });
    A.chart.bars($("chart-questions"), { title: "每周提问量", labels: labels,
                                         values: series.map(function (w) { return w.questions; }) });
    A.chart.lines($("chart-rates"), { title: "每周未回答率、转人工率与满意度", labels: labels, max: 1, series: [
      { name: "未回答率", color: COLORS.no_answer, values: series.map(function (w) { return w.no_answer_rate; }) },
      { name: "转人工率", color: COLORS.handoff, values: series.map(function (w) { return w.handoff_rate; }) },
      { name: "满意度", color: COLORS.satisfaction, values: series.map(function (w) { return w.satisfaction; }) }
    ] });
  }

  function renderTop(rows) {
    var body = $("an-top");
    A.clear(body);
    if (!rows.length) A.emptyRow(body, 3, "暂无数据");
    rows.forEach(function (r) {
      var tr = A.el("tr");
      A.cell(tr, "问题", r.question);
      A.cell(tr, "次数", r.count);
      A.cell(tr, "已回答", r.answered);
      body.appendChild(tr);
    });
  }

  function renderRising(rows) {
    var body = $("an-rising");
    A.clear(body);
    if (!rows.length) A.emptyRow(body, 4, "暂无明显上升的话题");
    rows.forEach(function (r) {
      var tr = A.el("tr");
      var topic = r.topic || "（未命名）";
      if (r.kind === "item" && r.item_id) {
        var a = A.el("a", null, topic);
        a.href = "#item/" + r.item_id;
        A.cell(tr, "话题", a);
      } else {
        A.cell(tr, "话题", topic + (r.kind === "question" ? "（未能回答）" : ""));
      }
      A.cell(tr, "本周", r.this_week);
      A.cell(tr, "上周", r.last_week);
      A.cell(tr, "增长", r.growth === null || r.growth === undefined ? "新出现" : "+" + A.percent(r.growth));
      body.appendChild(tr);
    });
  }

  function renderDepartments(rows) {
    var body = $("an-departments");
    A.clear(body);
    if (!rows.length) A.emptyRow(body, 8, "暂无数据");
    rows.forEach(function (d) {
      var tr = A.el("tr");
      A.cell(tr, "部门", d.department || "（未归属部门）");
      A.cell(tr, "提问数", d.questions);
      A.cell(tr, "回答率", A.percent(d.answered_rate));
      A.cell(tr, "未回答率", A.percent(d.no_answer_rate));
      A.cell(tr, "会话数", d.conversations);
      A.cell(tr, "转人工率", A.percent(d.handoff_rate));
      A.cell(tr, "评价数", d.feedback);
      A.cell(tr, "满意度", A.percent(d.satisfaction));
      body.appendChild(tr);
    });
  }

  function loadAnalytics() {
    var seq = ++stats.seq;
    var params = { weeks: $("an-weeks").value, department: department("an-dept") };
    $("analytics-csv").href = "/api/admin/analytics.csv" + A.query(params);
    A.note($("an-msg"), "正在统计……");
    return A.api("GET", "/api/admin/analytics" + A.query(params)).then(function (data) {
      if (seq !== stats.seq) return;
      data = data || {};
      A.note($("an-msg"), "统计范围：" + A.time(data.from) + " 至 " + A.time(data.to) +
        (data.department ? "，" + data.department : "，全部部门") + "。");
      renderTotals(data.totals);
      renderCharts(data.series || []);
      renderTop(data.top_questions || []);
      renderRising(data.rising || []);
      renderDepartments(data.departments || []);
    }, function (err) {
      if (seq === stats.seq) A.note($("an-msg"), "统计数据加载失败：" + err.message, "error");
    });
  }

  $("analytics-filter").addEventListener("submit", function (event) { event.preventDefault(); loadAnalytics(); });
  $("an-weeks").addEventListener("change", loadAnalytics);

  A.route("gaps", { tab: "gaps", view: "view-gaps", enter: loadGaps });
  A.route("analytics", { tab: "analytics", view: "view-analytics", enter: loadAnalytics });
})();

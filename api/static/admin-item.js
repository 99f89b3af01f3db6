/* govbot policy-owner console: one item — its content, the workflow buttons (submit, publish with
 * the gold-question check, send back, abolish), and its version history with diffs and rollback. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var CHANGE = { same: "不变", lost: "将失去答案", gained: "将答对", changed: "答复有变化" };
  var ANSWER = { answered: "已回答", no_answer: "未能回答", clarify: "需要追问", handoff: "转人工", refused: "不予回答" };
  var cur = { id: null, item: null, seq: 0, publishConfirm: false, rollbackArmed: null };
  var PANELS = ["publish-panel", "return-form", "abolish-form"];

  function itemPath(id, tail) { return "/api/admin/items/" + encodeURIComponent(id) + (tail || ""); }

  function msg(message, kind) { A.note($("item-msg"), message, kind); }

  function closePanels(except) {
    PANELS.forEach(function (id) { if (id !== except) A.show($(id), false); });
  }

  /* ---------------------------------------------------------------- content ---------------- */
  function fieldValue(value) {
    if (Array.isArray(value)) return value.join("\n");
    return value === undefined || value === null ? "" : String(value);
  }

  function renderFields(dl, item) {
    A.clear(dl);
    function pair(label, value, testid) {
      if (!value) return;
      var dt = A.el("dt", null, label);
      var dd = A.el("dd", null, value);
      if (testid) dd.setAttribute("data-testid", testid);
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    (A.FIELDS[item.kind] || []).forEach(function (f) {
      pair(f[1], fieldValue((item.fields || {})[f[0]]), "field-" + f[0]);
    });
    pair("地区", item.region);
    pair("来源", item.source);
    pair("文号", item.doc_number);
    pair("发文日期", item.doc_date);
    pair("生效日期", item.effective_date);
    pair("失效日期", item.expiry_date);
    if (item.status === "abolished") {
      pair("废止原因", item.abolish_reason, "abolish-reason-shown");
      pair("替代条目", item.successor_id ? "#" + item.successor_id : "");
    }
    if (!dl.firstChild) dl.appendChild(A.el("dd", "ga-muted", "（暂无内容）"));
  }

  function renderHead(item) {
    $("item-title").textContent = "#" + item.id + " " + (item.title || "（无标题）");
    $("item-kind").textContent = item.kind_label || A.KIND_LABEL[item.kind];
    var status = $("item-status");
    status.textContent = item.status_label || A.STATUS_LABEL[item.status];
    status.className = "ga-badge is-" + item.status;
    var answering = $("item-answering");
    answering.textContent = item.answering ? "正在用于答复市民" : "未用于答复";
    answering.className = "ga-badge " + (item.answering ? "is-live" : "is-off");
    var online = item.live_version ? "线上 v" + item.live_version : item.status === "abolished" ? "已停止使用" : "尚未发布";
    $("item-meta").textContent = [item.department || "未指定部门", "当前 v" + item.version, online,
      "更新于 " + A.time(item.updated_at)].join(" · ");
    var live = item.live_version && item.live_version !== item.version && item.status !== "abolished";
    A.note($("item-live"), live ? "线上仍在使用 v" + item.live_version + "；当前修改（v" + item.version + "，" +
      (item.status_label || "") + "）须审核发布后才会生效。" : "");
    A.show($("item-live-box"), !!(live && item.live));
    if (live && item.live) renderFields($("item-live-fields"), item.live);
  }

  function renderActions(item) {
    var open = item.status !== "abolished";
    A.show($("act-edit"), open && A.canEdit());
    A.show($("act-submit"), item.status === "draft" && A.canEdit());
    A.show($("act-publish"), item.status === "submitted" && A.canReview());
    A.show($("act-return"), item.status === "submitted" && A.canReview());
    A.show($("act-abolish"), open && A.canEdit());
  }

  function render(item) {
    cur.item = item;
    renderHead(item);
    renderActions(item);
    renderFields($("item-fields"), item);
    if (!$("versions-panel").hidden) loadVersions();
  }

  function load(id, message, kind) {
    var seq = ++cur.seq;
    return A.api("GET", itemPath(id)).then(function (item) {
      if (seq !== cur.seq) return;
      render(item);
      if (message !== undefined) msg(message, kind);
    }, function (err) {
      if (seq !== cur.seq) return;
      msg("条目加载失败：" + err.message, "error");
    });
  }
  A.loadItem = load;

  function enter(arg) {
    var id = parseInt(arg, 10);
    if (!id) { A.go("#items"); return; }
    var same = cur.id === id;
    cur.id = id;
    cur.publishConfirm = false;
    closePanels();
    if (!same) {
      cur.item = null;
      A.show($("versions-panel"), false);
      A.clear($("diff-out"));
      $("item-title").textContent = "#" + id;
      ["item-kind", "item-status", "item-answering", "item-meta"].forEach(function (k) { $(k).textContent = ""; });
      A.clear($("item-fields"));
    }
    var pending = A.takePending && A.takePending(id);
    msg(pending ? pending.message : "", pending ? pending.kind : null);
    load(id);
  }

  /** Run a workflow step; on success reload the item and say what happened. */
  function step(buttonNode, method, tail, body, done) {
    var id = cur.id;
    buttonNode.disabled = true;
    return A.api(method, itemPath(id, tail), body).then(function (data) {
      if (id !== cur.id) return;
      done(data);
    }, function (err) {
      if (id !== cur.id) return;
      msg(err.message, "error");
      if (err.status === 409) load(id);  // the state changed under us: show what it is now
    }).then(function () { buttonNode.disabled = false; });
  }

  /* ---------------------------------------------------------------- workflow --------------- */
  $("act-edit").addEventListener("click", function () { A.go("#edit/" + cur.id); });
  $("act-refresh").addEventListener("click", function () { closePanels(); load(cur.id, "已刷新。", "ok"); });

  $("act-submit").addEventListener("click", function () {
    closePanels();
    step($("act-submit"), "POST", "/submit", undefined, function (item) {
      render(item);
      msg("已提交审核，等待本部门审核人发布。", "ok");
    });
  });

  function outcomeText(o) {
    if (!o) return "—";
    if (o.item_id) return "#" + o.item_id + " " + (o.title || "");
    return ANSWER[o.status] || o.status || "—";
  }

  function renderGold(gold, lost) {
    var body = $("publish-body");
    A.clear(body);
    gold.forEach(function (g) {
      var tr = A.el("tr", g.change === "lost" ? "is-lost" : "");
      A.cell(tr, "标准问题", g.question);
      A.cell(tr, "现在的答复", outcomeText(g.before));
      A.cell(tr, "发布后的答复", outcomeText(g.after));
      A.cell(tr, "变化", A.el("span", "ga-change is-" + g.change, CHANGE[g.change] || g.change));
      body.appendChild(tr);
    });
    A.show($("publish-table"), gold.length > 0);
    var info = !gold.length ? "本部门没有与该条目相关的标准问题，可以直接发布。"
      : lost ? "注意：发布后有 " + lost + " 个标准问题将失去答案（标红的行）。请确认无误后再发布。"
      : "共检查 " + gold.length + " 个标准问题，没有问题会失去答案。";
    A.note($("publish-info"), info, lost ? "error" : null);
    cur.publishConfirm = lost > 0;
    $("publish-confirm").textContent = lost ? "仍然发布（" + lost + " 个标准问题将失去答案）" : "确认发布";
    $("publish-confirm").classList.toggle("ga-danger", lost > 0);
    $("publish-confirm").classList.toggle("ga-primary", !lost);
    $("publish-confirm").disabled = false;
  }

  $("act-publish").addEventListener("click", function () {
    closePanels("publish-panel");
    var panel = $("publish-panel");
    if (!panel.hidden) { A.show(panel, false); return; }
    A.show(panel, true);
    A.show($("publish-table"), false);
    A.note($("publish-info"), "正在检查本部门的标准问题……");
    $("publish-confirm").disabled = true;
    var id = cur.id;
    A.api("GET", itemPath(id, "/publish-check")).then(function (check) {
      if (id === cur.id) renderGold(check.gold || [], check.lost || 0);
    }, function (err) {
      if (id !== cur.id) return;
      A.note($("publish-info"), "标准问题检查失败：" + err.message, "error");
      $("publish-confirm").disabled = false;
    });
  });

  $("publish-cancel").addEventListener("click", function () { A.show($("publish-panel"), false); });

  $("publish-confirm").addEventListener("click", function () {
    var id = cur.id;
    var confirmNode = $("publish-confirm");
    confirmNode.disabled = true;
    A.api("POST", itemPath(id, "/publish"), { confirm: cur.publishConfirm }).then(function (item) {
      if (id !== cur.id) return;
      A.show($("publish-panel"), false);
      render(item);
      msg("已发布（v" + item.version + "），市民端立即按此内容答复。", "ok");
    }, function (err) {
      if (id !== cur.id) return;
      if (err.status === 409 && err.data && err.data.gold) {  // the check changed since: show it, ask again
        renderGold(err.data.gold, err.data.lost || 0);
        A.note($("publish-info"), err.message, "error");
        return;
      }
      A.show($("publish-panel"), false);
      msg(err.message, "error");
      if (err.status === 409) load(id);
    }).then(function () { confirmNode.disabled = false; });
  });

  $("act-return").addEventListener("click", function () {
    closePanels("return-form");
    A.show($("return-form"), $("return-form").hidden);
    if (!$("return-form").hidden) $("return-comment").focus();
  });
  $("return-cancel").addEventListener("click", function () { A.show($("return-form"), false); });
  $("return-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var comment = $("return-comment").value.trim();
    if (!comment) { msg("退回时请写明修改意见。", "error"); $("return-comment").focus(); return; }
    step($("return-submit"), "POST", "/return", { comment: comment }, function (item) {
      A.show($("return-form"), false);
      $("return-comment").value = "";
      render(item);
      msg("已退回修改，条目回到草稿状态。", "ok");
    });
  });

  $("act-abolish").addEventListener("click", function () {
    closePanels("abolish-form");
    A.show($("abolish-form"), $("abolish-form").hidden);
    if (!$("abolish-form").hidden) $("abolish-reason").focus();
  });
  $("abolish-cancel").addEventListener("click", function () { A.show($("abolish-form"), false); });
  $("abolish-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = $("abolish-reason").value.trim();
    var successorText = $("abolish-successor").value.trim().replace(/^#/, "");
    if (!reason) { msg("废止时请写明原因。", "error"); $("abolish-reason").focus(); return; }
    if (successorText && !/^\d+$/.test(successorText)) { msg("替代条目编号应为数字，如 128。", "error"); return; }
    var body = { reason: reason, successor_id: successorText ? parseInt(successorText, 10) : null };
    step($("abolish-submit"), "POST", "/abolish", body, function (item) {
      A.show($("abolish-form"), false);
      $("abolish-reason").value = "";
      $("abolish-successor").value = "";
      render(item);
      msg("已废止，市民端立即停止使用该条目。", "ok");
    });
  });

  /* ---------------------------------------------------------------- versions --------------- */
  function radio(name, value, checked, label) {
    var input = A.el("input");
    input.type = "radio";
    input.name = name;
    input.value = String(value);
    input.checked = checked;
    input.setAttribute("aria-label", label);
    input.setAttribute("data-testid", name + "-" + value);
    return input;
  }

  function rollbackButton(v, item) {
    var b = A.button("回退到此版本", "ga-small", "rollback-" + v.version);
    b.addEventListener("click", function () {
      if (cur.rollbackArmed !== v.version) {  // two clicks: the first asks, the second does it
        cur.rollbackArmed = v.version;
        b.textContent = "确认回退到 v" + v.version + "？";
        b.classList.add("ga-danger");
        return;
      }
      cur.rollbackArmed = null;
      step(b, "POST", "/rollback", { version: v.version, expect_version: item.version }, function (updated) {
        render(updated);
        msg("已回退到 v" + v.version + " 的内容，生成新草稿 v" + updated.version + "，须重新提交审核后生效。", "ok");
      });
    });
    return b;
  }

  /* The history lists every step (edit, submit, publish...): several rows may share a version.
   * Versions are compared and rolled back to by number, so only each version's latest row gets
   * the radio buttons and the rollback button. */
  function renderVersions(data) {
    var body = $("versions-body");
    A.clear(body);
    var rows = (data.versions || []).map(function (v, i) { return { v: v, i: i }; });
    rows.sort(function (x, y) { return y.v.version - x.v.version || y.i - x.i; });
    var numbers = [];
    rows.forEach(function (r) { if (numbers.indexOf(r.v.version) < 0) numbers.push(r.v.version); });
    var b = data.version;
    var a = data.live_version && data.live_version !== data.version ? data.live_version
      : numbers.filter(function (n) { return n < b; })[0] || null;
    var item = cur.item || {};
    var seen = {};
    rows.forEach(function (r) {
      var v = r.v;
      var first = !seen[v.version];
      seen[v.version] = true;
      var tr = A.el("tr", first ? "ga-version-head" : "ga-version-step");
      A.cell(tr, "甲", first ? radio("va", v.version, v.version === a, "比较版本甲：v" + v.version) : "");
      A.cell(tr, "乙", first ? radio("vb", v.version, v.version === b, "比较版本乙：v" + v.version) : "");
      A.cell(tr, "版本", "v" + v.version + (first && v.version === data.live_version ? "（线上）" : ""));
      A.cell(tr, "状态", A.badge(v.status));
      A.cell(tr, "操作人", v.actor || "—");
      A.cell(tr, "说明", v.note || "");
      A.cell(tr, "时间", A.time(v.created_at));
      var actions = A.cell(tr, "操作", "");
      if (first && v.version < data.version && item.status !== "abolished" && A.canEdit()) {
        actions.appendChild(rollbackButton(v, item));
      }
      body.appendChild(tr);
    });
    $("diff-run").disabled = numbers.length < 2;
    if (numbers.length < 2) A.note($("versions-msg"), "目前只有一个版本，修改保存后即可比较。");
  }

  function loadVersions() {
    var id = cur.id;
    cur.rollbackArmed = null;
    A.note($("versions-msg"), "正在加载版本历史……");
    return A.api("GET", itemPath(id, "/versions")).then(function (data) {
      if (id !== cur.id) return;
      A.note($("versions-msg"), "");
      renderVersions(data);
    }, function (err) {
      if (id === cur.id) A.note($("versions-msg"), "版本历史加载失败：" + err.message, "error");
    });
  }

  $("act-versions").addEventListener("click", function () {
    var panel = $("versions-panel");
    A.show(panel, panel.hidden);
    if (!panel.hidden) { A.clear($("diff-out")); loadVersions(); panel.scrollIntoView({ block: "nearest" }); }
  });

  function checked(name) {
    var node = document.querySelector('input[name="' + name + '"]:checked');
    return node ? parseInt(node.value, 10) : null;
  }

  function renderDiff(data) {
    var out = $("diff-out");
    A.clear(out);
    out.appendChild(A.el("h4", null, "v" + data.a + " → v" + data.b + " 的差异"));
    var changes = data.changes || [];
    if (!changes.length) {
      out.appendChild(A.el("p", "ga-muted", "这两个版本的内容相同（可能只是状态不同）。"));
      return;
    }
    changes.forEach(function (c) {
      var box = A.el("div", "ga-change-box");
      box.setAttribute("data-field", c.field);
      box.appendChild(A.el("h5", null, c.label || c.field));
      if (c.lines && c.lines.length && (c.before.indexOf("\n") >= 0 || c.after.indexOf("\n") >= 0)) {
        var pre = A.el("div", "ga-lines");
        c.lines.forEach(function (line, i) {
          if (line.indexOf("@@") === 0) {  // a hunk header: only a gap marker between hunks
            if (i) pre.appendChild(A.el("div", "ga-line is-hunk", "⋯"));
            return;
          }
          var kind = line.charAt(0) === "+" ? "is-add" : line.charAt(0) === "-" ? "is-del" : "is-ctx";
          pre.appendChild(A.el("div", "ga-line " + kind, line));
        });
        box.appendChild(pre);
      } else {
        var before = A.el("div", "ga-before");
        before.appendChild(A.el("span", "ga-tag", "修改前"));
        before.appendChild(A.el("del", null, c.before || "（空）"));
        var after = A.el("div", "ga-after");
        after.appendChild(A.el("span", "ga-tag", "修改后"));
        after.appendChild(A.el("ins", null, c.after || "（空）"));
        box.appendChild(before);
        box.appendChild(after);
      }
      out.appendChild(box);
    });
  }

  $("diff-run").addEventListener("click", function () {
    var a = checked("va");
    var b = checked("vb");
    if (!a || !b) { A.note($("versions-msg"), "请在“甲”“乙”两列各选一个版本。", "error"); return; }
    if (a === b) { A.note($("versions-msg"), "请选择两个不同的版本进行比较。", "error"); return; }
    var id = cur.id;
    A.note($("versions-msg"), "");
    A.api("GET", itemPath(id, "/diff" + A.query({ a: a, b: b }))).then(function (data) {
      if (id === cur.id) renderDiff(data);
    }, function (err) {
      if (id === cur.id) A.note($("versions-msg"), "比较失败：" + err.message, "error");
    });
  });

  A.route("item", { tab: "items", view: "view-item", enter: enter });
})();

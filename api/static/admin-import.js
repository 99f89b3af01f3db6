/* govbot policy-owner console: bulk import (批量导入) — template links, preview, then commit as
 * drafts or (reviewers) published, with a progress bar fed by the progress endpoint. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var $ = A.$;
  var POLL_MS = 300;
  var PREVIEW_ROWS = 20;
  var ACTION = { "new": "新增", changed: "修改", unchanged: "不变" };
  var PHASE = { reading: "正在读取文件", read: "正在读取文件", checking: "正在检查内容", check: "正在检查内容",
                preview: "正在检查内容", saving: "正在保存条目", save: "正在保存条目", commit: "正在保存条目",
                indexing: "正在更新检索索引", index: "正在更新检索索引", done: "已完成", finished: "已完成",
                rejected: "未导入" };
  // busy: a request runs; indexing: a big published import is being embedded in the background
  var imp = { previewed: null, busy: false, indexing: false, timer: null, progressId: null, gen: 0, done: "" };

  A.fillSelect($("imp-kind"), A.KINDS);

  A.onLogin.push(function () {
    A.show($("imp-admin-hint"), A.isAdmin());
    A.show($("imp-publish"), A.canReview());
  });

  function msg(message, kind) { A.note($("imp-msg"), message, kind); }

  function setButtons() {
    var ready = !!imp.previewed && !imp.busy;
    $("imp-draft").disabled = !ready;
    $("imp-publish").disabled = !ready;
    $("imp-preview").disabled = imp.busy;
  }

  function file() { return $("imp-file").files && $("imp-file").files[0]; }

  function formFor(f) {
    var form = new FormData();
    form.append("file", f, f.name);
    return form;
  }

  function params(extra) {
    var p = { kind: $("imp-kind").value, region: $("imp-region").value.trim() };
    Object.keys(extra).forEach(function (k) { p[k] = extra[k]; });
    return A.query(p);
  }

  /* ---------------------------------------------------------------- preview ---------------- */
  function summaryText(p) {
    var s = p.summary || {};
    var text = "文件“" + (p.filename || "") + "”：可导入 " + (s.rows || 0) + " 行（新增 " + (s["new"] || 0) +
      "，修改 " + (s.changed || 0) + "，不变 " + (s.unchanged || 0) + "）；错误 " + (s.errors || 0) + " 处，提醒 " +
      (s.warnings || 0) + " 处。";
    if (s.errors) text += "有错误时不会导入任何条目，请按下表修改后重新上传。";
    else if (p.ok) text += "检查通过，可以导入。";
    return text;
  }

  function brief(fields) {
    var f = fields || {};
    var text = f.answer || f.conditions || f.materials || f.text || f.handles || "";
    if (Array.isArray(text)) text = text.join("；");
    text = String(text).replace(/\s+/g, " ");
    return text.length > 60 ? text.slice(0, 60) + "……" : text;
  }

  function renderProblems(problems) {
    var body = $("imp-problems");
    A.clear(body);
    problems.forEach(function (pr) {
      var tr = A.el("tr", pr.severity === "error" ? "is-error" : "is-warning");
      A.cell(tr, "行", pr.row === null || pr.row === undefined ? "整个文件" : "第 " + pr.row + " 行");
      A.cell(tr, "列", pr.column || "—");
      A.cell(tr, "问题", pr.message, "ga-problem");
      A.cell(tr, "级别", A.el("span", "ga-badge is-" + (pr.severity === "error" ? "abolished" : "submitted"),
                             pr.severity === "error" ? "错误" : "提醒"));
      body.appendChild(tr);
    });
    A.show($("imp-problems-box"), problems.length > 0);
  }

  function renderRows(items) {
    var body = $("imp-rows");
    A.clear(body);
    items.slice(0, PREVIEW_ROWS).forEach(function (it) {
      var tr = A.el("tr");
      A.cell(tr, "行", it.row === null || it.row === undefined ? "—" : it.row);
      var look = it.action === "new" ? "published" : it.action === "changed" ? "submitted" : "draft";
      A.cell(tr, "操作", A.el("span", "ga-badge is-" + look, ACTION[it.action] || it.action));
      A.cell(tr, "类型", A.KIND_LABEL[it.kind] || it.kind);
      A.cell(tr, "标题", it.title || "");
      A.cell(tr, "部门", it.department || "—");
      A.cell(tr, "摘要", brief(it.fields));
      body.appendChild(tr);
    });
    $("imp-rows-title").textContent = (items.length > PREVIEW_ROWS ? "前 " + PREVIEW_ROWS + " 行预览" : "预览") +
      "（共 " + items.length + " 行）";
    A.show($("imp-rows-box"), items.length > 0);
  }

  function renderPreview(p) {
    $("imp-summary").textContent = summaryText(p);
    $("imp-summary").classList.toggle("is-error", !p.ok);
    renderProblems(p.problems || []);
    renderRows(p.items || []);
    A.show($("imp-result"), true);
  }

  function clearPreview() {
    imp.previewed = null;
    A.show($("imp-result"), false);
    A.show($("imp-progress-box"), false);
    setButtons();
  }

  ["imp-file", "imp-kind", "imp-region"].forEach(function (id) {
    $(id).addEventListener("change", function () { clearPreview(); msg(""); });  // preview again first
  });

  $("import-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var f = file();
    if (!f) { msg("请先选择要导入的文件。", "error"); return; }
    clearPreview();
    imp.busy = true;
    setButtons();
    var gen = ++imp.gen;
    msg("正在检查文件……");
    A.upload("/api/admin/import" + params({ dry_run: 1 }), formFor(f)).then(function (p) {
      if (gen !== imp.gen) return;
      renderPreview(p || {});
      imp.previewed = p && p.ok ? f : null;
      msg(p && p.ok ? "预览完成，确认无误后请选择导入方式。" : "文件中有需要修改的地方，请查看下方的问题列表。",
          p && p.ok ? "ok" : "error");
    }, function (err) {
      if (gen !== imp.gen) return;
      if (err.data && err.data.preview) renderPreview(err.data.preview);
      msg("预览失败：" + err.message, "error");
    }).then(function () { if (gen === imp.gen) { imp.busy = false; setButtons(); } });
  });

  /* ---------------------------------------------------------------- commit ----------------- */
  function progressId() {
    var bytes = new Uint8Array(8);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "imp-" + Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function showProgress(p) {
    var bar = $("imp-progress");
    var total = Number(p && p.total) || 0;
    var done = Number(p && p.done) || 0;
    if (total > 0) { bar.max = total; bar.value = Math.min(done, total); }
    else bar.removeAttribute("value");  // indeterminate until the server knows the total
    var phase = p && p.phase ? PHASE[p.phase] || "处理中（" + p.phase + "）" : "正在上传";
    $("imp-progress-text").textContent = phase + (total ? "：" + Math.min(done, total) + " / " + total : "……");
  }

  function watching(gen) { return gen === imp.gen && (imp.busy || imp.indexing); }

  function poll(gen) {
    if (!watching(gen)) return;
    A.api("GET", "/api/admin/import/progress/" + encodeURIComponent(imp.progressId)).then(function (p) {
      if (!watching(gen)) return;
      showProgress(p);
      if (imp.indexing && p && p.phase === "done") {
        imp.indexing = false;
        msg(imp.done + "检索索引已更新完成，新内容已用于答复市民。", "ok");
      }
    }, function () { /* not started yet, or already gone: keep the last state */ })
      .then(function () {
        if (watching(gen)) imp.timer = setTimeout(function () { poll(gen); }, POLL_MS);
      });
  }

  function commit(publish) {
    var f = imp.previewed;
    if (!f || imp.busy) return;
    if (file() !== f) { clearPreview(); msg("文件已更换，请重新预览。", "error"); return; }
    imp.busy = true;
    setButtons();
    var gen = ++imp.gen;
    clearTimeout(imp.timer);
    imp.indexing = false;
    imp.progressId = progressId();
    A.show($("imp-progress-box"), true);
    showProgress(null);
    msg(publish ? "正在导入并发布……" : "正在导入为草稿……");
    imp.timer = setTimeout(function () { poll(gen); }, POLL_MS);
    var extra = { progress_id: imp.progressId };
    if (publish) extra.publish = 1;
    A.upload("/api/admin/import" + params(extra), formFor(f)).then(function (r) {
      if (gen !== imp.gen) return;
      var s = (r && r.summary) || {};
      var published = (r && r.status) === "published" || publish;
      imp.done = "导入完成：新增 " + A.count(r && r.added) + " 条，更新 " + A.count(r && r.updated) + " 条，未变 " +
        A.count(r && r.unchanged) + " 条（" + (published ? "已发布" : "草稿，须提交审核并发布后生效") + "）。";
      imp.previewed = null;
      if (r && r.indexing) {  // saved; the search index catches up in the background
        imp.indexing = true;
        showProgress({ phase: "indexing" });
        msg(imp.done + "正在后台更新检索索引，完成前新内容可能还查不到。", "ok");
        return;
      }
      showProgress({ phase: "done", done: s.rows || 1, total: s.rows || 1 });
      msg(imp.done + (published ? "市民端立即可以使用。" : ""), "ok");
    }, function (err) {
      if (gen !== imp.gen) return;
      A.show($("imp-progress-box"), false);
      if (err.data && err.data.preview) renderPreview(err.data.preview);
      msg("导入失败，没有导入任何条目：" + err.message, "error");
    }).then(function () {
      if (gen !== imp.gen) return;
      imp.busy = false;
      if (!imp.indexing) clearTimeout(imp.timer);
      setButtons();
    });
  }

  $("imp-draft").addEventListener("click", function () { commit(false); });
  $("imp-publish").addEventListener("click", function () { commit(true); });

  A.route("import", { tab: "import", view: "view-import", enter: function () { setButtons(); } });
})();

// The "Category fetches" pane: start a Taxonomy fetch, watch each fetch's progress, read and
// retry the categories that failed, cancel a running fetch, and look up a category's aspects
// (aspects.js).

import { api, isAbort, path } from "./api.js";
import { serverNow } from "./clock.js";
import { aspectsLookup } from "./aspects.js";
import { DASH, badge, byId, el, notify, showMessage, showResult } from "./dom.js";
import { Form, Refusal, busyWhile } from "./forms.js";
import { count, relativeTime } from "./format.js";
import { load, poller } from "./poll.js";
import { LiveRows, Table, actionButton, detailsRow, numeric, rowButton } from "./tables.js";

const MARKETPLACES = ["EBAY_US", "EBAY_GB", "EBAY_DE", "EBAY_AU", "EBAY_CA", "EBAY_FR", "EBAY_IT", "EBAY_ES",
                      "EBAY_MOTORS_US"];
const ACTIVE = ["queued", "processing"];
const FINISHED = ["completed", "failed", "cancelled"];
const MODES = { auto: "auto", per_category: "per category", bulk: "bulk" };
// Both forms' marketplace field.
const MARKETPLACE = { name: "marketplaceId", label: "Marketplace", options: MARKETPLACES.map((id) => [id, id]), value: "EBAY_US" };

function statusOf(job) {
  return String(job.status || "");
}

// A running fetch that waits for a category's retry (or the Taxonomy budget) is retrying, not stuck.
function retrying(job) {
  return statusOf(job) === "processing" && typeof job.resumeAt === "number" && job.resumeAt > serverNow();
}

function parentLabel(job) {
  return job.parentCategory ? String(job.parentCategory) : "Whole category tree";
}

export function categoryFetchesPane() {
  const result = byId("cf-result");
  const form = new Form(byId("cf-form"), {
    prefix: "cf",
    fields: [
      { ...MARKETPLACE, testid: "cf-marketplace" },
      { name: "parentCategoryId", label: "Parent category id", optional: true, testid: "cf-parent",
        hint: "Digits, e.g. 26395. Leave empty for the whole tree.", attrs: { inputmode: "numeric", autocomplete: "off" } },
      { name: "maxCategories", label: "Max categories", optional: true, testid: "cf-max", hint: "1 to 100000 leaf categories.",
        attrs: { type: "number", inputmode: "numeric", min: 1, max: 100000, step: 1 } },
      { name: "mode", label: "Mode", testid: "cf-mode", hint: "Auto picks per-category or bulk calls.",
        options: [["auto", "Auto"], ["per_category", "Per category"], ["bulk", "Bulk"]], value: "auto" },
    ],
    submit: { text: "Start fetch", primary: true },
  });
  const errorLine = byId("cf-load-error");
  const table = new Table(byId("cf-region"), {
    ids: { table: "cf-table", body: "cf-body", empty: "cf-empty" },
    empty: "No category fetches yet.",
    columns: [
      { head: "Parent category", attrs: { "data-testid": "cf-parent-cell" }, show: (job, row) => [
        el("strong", { text: parentLabel(job) }),
        el("span", { "class": "job-meta", text: [job.marketplaceId || DASH, MODES[job.mode] || job.mode || DASH].join(" \u00b7 ") }),
        el("span", { "class": "job-meta" }, [el("code", { text: row.key })])] },
      { head: "Status", attrs: { "data-testid": "cf-status-cell" }, show: (job, row) => [
        badge(retrying(job) ? "retrying" : statusOf(job), { "data-testid": "cf-status-" + row.key }),
        ...(retrying(job) ? [el("span", { "class": "job-meta", "data-testid": "cf-resume-" + row.key },
                                ["goes on ", relativeTime(job.resumeAt)])] : []),
        ...(job.error ? [el("span", { "class": "job-error", "data-testid": "cf-job-error-" + row.key, text: job.error })] : [])] },
      { head: "Progress", attrs: { "data-testid": "cf-progress-cell" }, show: showProgress },
      { head: "Results", attrs: numeric(), show: (job, row) => el("span", {
        "data-testid": "cf-counts-" + row.key, "data-success": count(job.success), "data-failed": count(job.failed) }, [
        el("span", { text: count(job.success) + " succeeded" }), " \u00b7 ",
        el("span", { "class": count(job.failed) > 0 ? "count-failed" : null, text: count(job.failed) + " failed" })]) },
      { head: "Updated", attrs: numeric(), show: (job) => relativeTime(job.updatedAt) },
      { head: "Actions", hideHead: true, show: fetchButton },
    ],
  });
  // Each fetch is two rows: the fetch, and under it its failed categories (when it has any).
  const rows = new LiveRows(table, {
    key: (job) => job.jobId,
    rowAttrs: (id) => ({ "data-category-job-id": id }),
    create: addFailuresRow,
    update: (row, job) => {
      row.tr.setAttribute("data-status", statusOf(job));
      row.errorsTr.hidden = count(job.failed) <= 0;
      row.summary.textContent = "Failed categories (" + count(job.failed) + ")";
      // The state the failures shown belong to: they are loaded again when it moves on.
      row.failuresKey = [statusOf(job), count(job.failed), count(job.processed), job.updatedAt].join("|");
    },
  });

  // ---- the list: GET /category-fetches each cycle, then the failed categories of open rows

  function refresh(signal) {
    return load(signal, api.get("/category-fetches", signal), (data) => {
      render(Array.isArray(data.jobs) ? data.jobs : [], data.count);
      return loadFailures(signal);
    }, errorLine, "category fetches");
  }

  function render(jobs, total) {
    const seen = new Set();
    const listed = jobs.filter((job) => {
      if (!job || typeof job.jobId !== "string" || seen.has(job.jobId)) { return false; }
      seen.add(job.jobId);
      return true;
    });
    // The API's order: active first, then recent.
    rows.sync(listed);
    table.showing(listed.length);
    const more = typeof total === "number" && total > listed.length;
    showMessage(byId("cf-truncated"), more ? "Showing " + listed.length + " of " + total + " category fetches." : "");
  }

  function addFailuresRow(row) {
    row.summary = el("summary");
    row.list = el("ul", { "class": "detail-list", "data-testid": "cf-error-list-" + row.key });
    row.loadedKey = null;
    ({ details: row.details, tr: row.errorsTr } = detailsRow(row, table, {
      testid: "cf-errors-" + row.key, attrs: { "data-errors-for": row.key, hidden: true }, summary: row.summary,
      body: row.list, placeholder: () => el("li", { "class": "muted", text: "Loading\u2026" }),
      stale: () => row.loadedKey !== row.failuresKey, refresh: () => poller.soon() }));
  }

  // The bar and its text stay in place; value and max are properties of <progress>, so the bar
  // needs no style attribute.
  function showProgress(job, row) {
    if (!row.progress) {
      row.progress = el("progress", { "data-testid": "cf-progress-" + row.key, "aria-label": "Categories processed" });
      row.progressText = el("span", { "data-testid": "cf-progress-text-" + row.key, "class": "num" });
      row.progressCell = el("div", { "class": "progress-cell" }, [row.progress, row.progressText]);
    }
    const processed = count(job.processed);
    const totalCategories = count(job.totalCategories);
    let text;
    if (totalCategories > 0) {
      row.progress.max = totalCategories;
      row.progress.value = Math.min(processed, totalCategories);
      text = processed + " / " + totalCategories;
    } else if (ACTIVE.includes(statusOf(job))) {
      row.progress.removeAttribute("value");   // indeterminate while the tree is analysed
      text = "analysing tree";
    } else {
      row.progress.max = 1;
      row.progress.value = 0;
      text = "0 / 0";
    }
    row.progress.textContent = text;
    row.progressText.textContent = text;
    return row.progressCell;
  }

  // Cancel while a fetch runs, retry the failed categories once it has finished.
  function fetchButton(job, row) {
    const status = statusOf(job);
    const action = ACTIVE.includes(status) ? "cancel" : FINISHED.includes(status) && count(job.failed) > 0 ? "retry" : null;
    return rowButton(row, action, () => makeButton(action, row.key, parentLabel(job)));
  }

  // The failed categories come from GET /category-fetches/{jobId}, for the rows whose list is open.
  function loadFailures(signal) {
    const wanted = [];
    rows.forEach((row) => {
      if (row.details.open && !row.errorsTr.hidden && row.loadedKey !== row.failuresKey) { wanted.push(row); }
    });
    return Promise.all(wanted.map((row) => api.get(path`/category-fetches/${row.key}`, signal).then((data) => {
      const status = data && data.status;
      if (signal.aborted || rows.get(row.key) !== row || !status || typeof status !== "object") { return; }
      rows.update(row, status);
      renderFailures(row, Array.isArray(status.errors) ? status.errors : [], count(status.failed));
      row.loadedKey = row.failuresKey;
    }, (error) => {
      if (isAbort(error) || signal.aborted) { return; }
      row.list.replaceChildren(el("li", { "class": "message error", text: "Could not load the failed categories: " + error.message }));
    })));
  }

  function renderFailures(row, errors, failed) {
    const items = errors.filter((item) => item && typeof item === "object").map((item) => el("li", { "data-category-id": item.categoryId }, [
      el("code", { text: item.categoryId || DASH }), " ",
      el("span", { text: item.categoryName || "" }), item.categoryName ? ": " : "",
      el("span", { "class": "error-text", text: item.error || "failed" }),
    ]));
    if (items.length === 0) { items.push(el("li", { "class": "muted", text: "No details were recorded." })); }
    else if (items.length < failed) { items.push(el("li", { "class": "muted", text: "Showing " + items.length + " of " + failed + "." })); }
    row.list.replaceChildren(...items);
  }

  function makeButton(action, jobId, label) {
    const cancel = action === "cancel";
    const where = path`/category-fetches/${jobId}`;
    return actionButton({
      action, testid: "cf-" + action + "-" + jobId, danger: cancel, text: cancel ? "Cancel" : "Retry failed",
      label: (cancel ? "Cancel the category fetch of " : "Retry the failed categories of ") + label,
      onClick: (button) => busyWhile(button, cancel ? api.delete(where) : api.post(where + "/retry-failed"), (data) => {
        const shown = rows.get(jobId);
        if (shown && data && data.status && typeof data.status === "object") { rows.update(shown, data.status); }
        if (cancel) {
          notify("Category fetch " + jobId + " (" + label + ") cancelled.");
          return;
        }
        const requeued = data && typeof data.requeued === "number" ? data.requeued : null;
        notify((requeued === null ? "The failed categories" : requeued + (requeued === 1 ? " failed category" : " failed categories")) +
               " of " + jobId + " (" + label + ") queued again.");
      }, (error) => notify("Could not " + (cancel ? "cancel" : "retry the failed categories of") + " category fetch " +
                           jobId + ": " + error.message, true)),
    });
  }

  // ---- starting a fetch

  form.sendOnSubmit(result, {
    send() {
      const payload = { marketplaceId: form.value("marketplaceId"), mode: form.value("mode") };
      const parent = form.value("parentCategoryId");
      if (parent) { payload.parentCategoryId = parent; }
      // A number input's value is "" for text it cannot parse, which would otherwise go unnoticed.
      if (form.control("maxCategories").validity.badInput) { throw new Refusal("maxCategories", "must be a whole number"); }
      const max = form.value("maxCategories");
      if (max) { payload.maxCategories = /^\d+$/.test(max) ? Number(max) : max; }
      return api.post("/category-fetches", payload);
    },
    done(data) {
      // Keep the marketplace and mode: sellers often start several fetches on one site.
      form.control("parentCategoryId").value = "";
      form.control("maxCategories").value = "";
      const about = [data.parentCategory ? String(data.parentCategory) : null,
                     count(data.totalCategories) > 0 ? data.totalCategories + " categories" : null].filter(Boolean).join(", ");
      return [data.message ? String(data.message) : null, "Job " + data.jobId + (about ? " (" + about + ")" : "") + "."]
        .filter(Boolean).join(" ");
    },
  });

  const aspects = aspectsLookup(MARKETPLACE);

  function clear() {
    aspects.clear();
    rows.clear();
    showMessage(errorLine, "");
    showResult(result, "");
    form.reset();
    table.showing(0);
    byId("cf-truncated").hidden = true;
  }

  return { id: "category-fetches", refresh, clear };
}

// The "Promotions" pane: whether the caller's eBay account is connected, the caller's queue
// stats, a form to queue a listing, and the jobs by status with cancel (pending), retry (failed),
// each job's history as a timeline, and a retry of every failed job at once.

import { api, isAbort, path, withQuery } from "./api.js";
import { DASH, badge, byId, el, notify, showMessage, showResult } from "./dom.js";
import { Form, Refusal, busyWhile } from "./forms.js";
import { plural, relativeTime } from "./format.js";
import { load, poller } from "./poll.js";
import { FilterButtons, LiveRows, Table, actionButton, detailsRow, numeric, rowButton } from "./tables.js";
import { NOT_SYNCED, timeline } from "./timeline.js";

const STATUSES = ["pending", "failed", "succeeded", "cancelled"];
const STATS = ["total", "ready", "pending", "succeeded", "failed", "cancelled"];
const LIMIT = 50;

// A pending job whose last answer was eBay's sync delay is waiting as planned, not in trouble.
function waiting(job) {
  return job.status === "pending" && job.lastError === NOT_SYNCED;
}

export function promotionsPane() {
  const errorLine = byId("promotions-error");
  const result = byId("queue-result");
  const form = new Form(byId("queue-form"), {
    ids: { control: "queue-", hint: "hint-", error: "error-" },
    fields: [
      { name: "listingId", label: "Listing id", hint: "The eBay item number.",
        attrs: { inputmode: "numeric", autocomplete: "off", required: true } },
      { name: "adRate", label: "Ad rate (%)", hint: "2.0 to 100.0, one decimal.",
        attrs: { type: "number", inputmode: "decimal", min: 2, max: 100, step: "0.1", required: true } },
      { name: "campaignId", label: "Campaign id", optional: true, hint: "Leave empty to use your running campaign.",
        attrs: { inputmode: "numeric", autocomplete: "off" } },
    ],
    submit: { text: "Queue promotion", primary: true },
  });
  const table = new Table(byId("jobs-region"), {
    ids: { table: "jobs-table", body: "jobs-body", empty: "jobs-empty" },
    empty: "No jobs to show.",
    columns: [
      { head: "Listing", attrs: { "data-testid": "job-listing" }, show: (job) => el("code", { text: job.listingId }) },
      { head: "Job", attrs: { "data-testid": "job-id" }, show: (job) => el("code", { text: job.id }) },
      { head: "Status", attrs: { "data-testid": "job-status-cell" },
        show: (job) => badge(job.status, { "data-testid": "job-status" }) },
      { head: "Attempts", attrs: numeric({ "data-testid": "job-attempts" }), show: (job) => job.attempts + " / " + job.maxAttempts },
      { head: "Next retry", attrs: numeric({ "data-testid": "job-next-retry" }),
        show: (job) => relativeTime(job.status === "pending" ? job.nextRetryAt : null) },
      { head: "Last error", attrs: { "class": "error-text", "data-testid": "job-error" },
        show: (job) => (waiting(job) ? "Waiting for eBay to sync the listing" : job.lastError || DASH) },
      { head: "Ad id", attrs: { "data-testid": "job-ad-id" }, show: (job) => (job.adId ? el("code", { text: job.adId }) : DASH) },
      { head: "Actions", hideHead: true, attrs: { "data-testid": "job-actions" }, show: jobButton },
    ],
  });
  // Each job is two rows: the job, and under it its history (loaded when opened).
  const rows = new LiveRows(table, {
    key: (job) => job.id,
    rowAttrs: (id) => ({ "data-job-id": id }),
    create: addHistoryRow,
    update: (row, job) => {
      row.tr.setAttribute("data-status", job.status);
      // Waiting for eBay's sync delay reads as waiting, not as an error.
      row.tr.querySelector('[data-testid="job-error"]').className = waiting(job) ? "waiting-text" : "error-text";
      row.historyKey = [job.status, job.attempts, job.updatedAt].join("|");
    },
  });
  let filter = "all";
  const filters = new FilterButtons(byId("job-filters"), {
    testid: "filter-", value: filter,
    choices: [["all", "All", "total"], ["pending", "Pending"], ["failed", "Failed"], ["succeeded", "Succeeded"],
              ["cancelled", "Cancelled"]],
  }, (value) => {
    filter = value;
    filters.press(value);
    applyFilter();
  });

  function refresh(signal) {
    const requests = [api.get("/promotions/stats", signal), api.get("/ebay/connection", signal)].concat(STATUSES.map(
      (status) => api.get(withQuery("/promotions", { status, limit: LIMIT }), signal)));
    return load(signal, Promise.all(requests), ([stats, connection, ...pages]) => {
      renderStats(stats.stats || {});
      renderConnection(connection.connection || {});
      renderJobs(pages);
      return Promise.all([loadHistories(signal), followBulk(signal)]);
    }, errorLine, "promotions");
  }

  // The cards and the filter buttons show the same numbers: jobs by status. The API's stats call
  // every unfinished job "total" (ready + pending, as the original system did); here that is
  // "Pending", and "All jobs" adds the finished ones.
  function renderStats(stats) {
    const finished = ["succeeded", "failed", "cancelled"];
    const known = ["total", ...finished].every((key) => typeof stats[key] === "number");
    const shown = { total: known ? stats.total + finished.reduce((sum, key) => sum + stats[key], 0) : null,
                    pending: stats.total, ready: stats.ready, succeeded: stats.succeeded, failed: stats.failed,
                    cancelled: stats.cancelled };
    for (const name of STATS) {
      const value = shown[name];
      byId("stat-" + name).textContent = typeof value === "number" ? String(value) : "-";
    }
    filters.showCounts((key) => shown[key]);
  }

  function renderConnection(connection) {
    const status = typeof connection.status === "string" ? connection.status : "";
    const words = { connected: "connected", not_connected: "not connected", revoked: "authorisation revoked" };
    const badgeNode = byId("ebay-connection-status");
    badgeNode.textContent = words[status] || "-";
    badgeNode.className = "badge " + status;
    badgeNode.setAttribute("data-status", status);
    byId("ebay-connection-message").textContent = connection.message ? String(connection.message) : "";
  }

  // ---- each job's history, under its row

  function addHistoryRow(row) {
    row.historyBody = el("div", { "data-testid": "job-history-" + row.key });
    row.historyLoaded = null;
    ({ details: row.historyDetails, tr: row.historyTr } = detailsRow(row, table, {
      testid: "job-history-toggle-" + row.key, attrs: { "data-history-for": row.key },
      summary: el("summary", { text: "History" }), body: row.historyBody,
      placeholder: () => el("p", { "class": "muted", text: "Loading\u2026" }),
      stale: () => row.historyLoaded !== row.historyKey, refresh: () => poller.soon() }));
  }

  // The histories of open rows, read again only when their job has moved on.
  function loadHistories(signal) {
    const wanted = [];
    rows.forEach((row) => {
      if (row.historyDetails.open && row.historyLoaded !== row.historyKey) { wanted.push(row); }
    });
    return Promise.all(wanted.map((row) => {
      const key = row.historyKey;
      return api.get(path`/promotions/${row.key}`, signal).then((data) => {
        if (signal.aborted) { return; }
        row.historyBody.replaceChildren(timeline(data && data.job ? data.job.history : [], "job-timeline-" + row.key));
        row.historyLoaded = key;
      }, (error) => {
        if (!isAbort(error)) { row.historyBody.replaceChildren(el("p", { "class": "error-text", text: error.message })); }
      });
    }));
  }

  function renderJobs(pages) {
    // A job that changed status between two list calls may come back twice: keep the newer.
    const newest = new Map();
    for (const page of pages) {
      for (const job of page.jobs || []) {
        const seen = newest.get(job.id);
        if (!seen || (job.updatedAt || 0) >= (seen.updatedAt || 0)) { newest.set(job.id, job); }
      }
    }
    rows.sync([...newest.values()].sort(
      (a, b) => (b.createdAt || 0) - (a.createdAt || 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    byId("jobs-truncated").hidden = !pages.some((page) => page.cursor);
    applyFilter();
  }

  // Cancel for a pending job, retry for a failed one.
  function jobButton(job, row) {
    const action = job.status === "pending" ? "cancel" : job.status === "failed" ? "retry" : null;
    return rowButton(row, action, () => makeButton(action, job));
  }

  function makeButton(action, job) {
    const cancel = action === "cancel";
    return actionButton({
      action, testid: action + "-" + job.id, danger: cancel, text: cancel ? "Cancel" : "Retry",
      label: (cancel ? "Cancel" : "Retry") + " promotion of listing " + job.listingId,
      onClick: (button) => busyWhile(button,
        cancel ? api.delete(path`/promotions/${job.id}`) : api.post(path`/promotions/${job.id}/retry`),
        (data) => {
          const row = data && data.job ? rows.get(data.job.id) : null;
          if (row) { rows.update(row, data.job); applyFilter(); }
          notify(cancel ? "Job " + job.id + " cancelled." : "Job " + job.id + " queued again.");
        },
        (error) => notify("Could not " + action + " job " + job.id + ": " + error.message, true)),
    });
  }

  function applyFilter() {
    let visible = 0;
    rows.forEach((row) => {
      row.tr.hidden = filter !== "all" && row.item.status !== filter;
      row.historyTr.hidden = row.tr.hidden;
      if (!row.tr.hidden) { visible += 1; }
    });
    table.showing(visible);
  }

  // ---- every failed job at once: count first, then confirm

  const retryAll = byId("retry-all-failed");
  const retryConfirm = byId("retry-all-confirm");
  const retryResult = byId("retry-all-result");
  let following = null;  // the bulk action whose progress is shown

  retryAll.addEventListener("click", () => {
    showResult(retryResult, "");
    busyWhile(retryAll, api.post("/promotions/retry", { dryRun: true }), (data) => {
      const n = typeof data.matched === "number" ? data.matched : 0;
      retryConfirm.hidden = n === 0;
      retryConfirm.textContent = "Retry " + plural(n, "failed job", "failed jobs") + (data.more ? " (the first)" : "");
      showResult(retryResult, n === 0 ? "No failed jobs to retry." : plural(n, "failed job", "failed jobs") + " would be retried.");
    }, (error) => showResult(retryResult, "Could not count your failed jobs: " + error.message, true));
  });
  retryConfirm.addEventListener("click", () => {
    busyWhile(retryConfirm, api.post("/promotions/retry", {}), (data) => {
      retryConfirm.hidden = true;
      following = data.bulkActionId || null;
      showResult(retryResult, "Retrying your failed jobs\u2026");
    }, (error) => showResult(retryResult, "Could not retry your failed jobs: " + error.message, true));
  });

  function followBulk(signal) {
    if (!following) { return Promise.resolve(true); }
    const id = following;
    return api.get(path`/bulk-actions/${id}`, signal).then((data) => {
      const action = (data && data.bulkAction) || {};
      if (id !== following) { return true; }
      const done = action.status === "completed" || action.status === "failed";
      showResult(retryResult, (done ? "Retried " : "Retrying: ") + plural(action.done || 0, "job", "jobs") +
                 (action.skipped ? ", " + action.skipped + " skipped (changed meanwhile)" : "") + (done ? "." : "\u2026"),
                 action.status === "failed");
      if (done) { following = null; }
      return true;
    }, (error) => isAbort(error) ? false : true);
  }

  form.sendOnSubmit(result, {
    send() {
      const adRateText = form.value("adRate");
      const adRate = Number(adRateText);
      // The API wants a number; anything else is refused here with the API's wording.
      if (adRateText === "" || !isFinite(adRate)) { throw new Refusal("adRate", "must be a number"); }
      const payload = { listingId: form.value("listingId"), adRate };
      const campaignId = form.value("campaignId");
      if (campaignId) { payload.campaignId = campaignId; }   // the API refuses "" as a campaign id
      return api.post("/promotions", payload);
    },
    done(data) {
      form.reset();
      return (data.message ? data.message + " " : "") + "Job " + data.jobId + ".";
    },
  });

  function clear() {
    rows.clear();
    renderStats({});
    renderConnection({});
    following = null;
    retryConfirm.hidden = true;
    showResult(retryResult, "");
    showMessage(errorLine, "");
    showResult(result, "");
    form.reset();
    byId("jobs-truncated").hidden = true;
    applyFilter();
  }

  return { id: "promotions", refresh, clear };
}

// The "Promotions" pane: the caller's queue stats, a form to queue a listing, and the jobs by
// status with cancel (pending) and retry (failed).

import { api, path, withQuery } from "./api.js";
import { DASH, badge, byId, el, notify, showMessage, showResult } from "./dom.js";
import { Form, Refusal, busyWhile } from "./forms.js";
import { relativeTime } from "./format.js";
import { load } from "./poll.js";
import { FilterButtons, LiveRows, Table, actionButton, numeric, rowButton } from "./tables.js";

const STATUSES = ["pending", "failed", "succeeded", "cancelled"];
const STATS = ["total", "ready", "pending", "succeeded", "failed", "cancelled"];
const LIMIT = 50;

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
      { head: "Last error", attrs: { "class": "error-text", "data-testid": "job-error" }, show: (job) => job.lastError || DASH },
      { head: "Ad id", attrs: { "data-testid": "job-ad-id" }, show: (job) => (job.adId ? el("code", { text: job.adId }) : DASH) },
      { head: "Actions", hideHead: true, attrs: { "data-testid": "job-actions" }, show: jobButton },
    ],
  });
  const rows = new LiveRows(table, {
    key: (job) => job.id,
    rowAttrs: (id) => ({ "data-job-id": id }),
    update: (row, job) => row.tr.setAttribute("data-status", job.status),
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
    const requests = [api.get("/promotions/stats", signal)].concat(STATUSES.map(
      (status) => api.get(withQuery("/promotions", { status, limit: LIMIT }), signal)));
    return load(signal, Promise.all(requests), ([stats, ...pages]) => {
      renderStats(stats.stats || {});
      renderJobs(pages);
    }, errorLine, "promotions");
  }

  function renderStats(stats) {
    for (const name of STATS) {
      const value = stats[name];
      byId("stat-" + name).textContent = typeof value === "number" ? String(value) : "-";
    }
    // Tab counts are jobs by status: "pending" is every unfinished job (stats.total, as the API
    // counts it), "all" adds the finished ones.
    const finished = ["succeeded", "failed", "cancelled"];
    const known = ["total", ...finished].every((key) => typeof stats[key] === "number");
    const tabs = { total: known ? stats.total + finished.reduce((sum, key) => sum + stats[key], 0) : null,
                   pending: stats.total, failed: stats.failed, succeeded: stats.succeeded, cancelled: stats.cancelled };
    filters.showCounts((key) => tabs[key]);
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
      if (!row.tr.hidden) { visible += 1; }
    });
    table.showing(visible);
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
    showMessage(errorLine, "");
    showResult(result, "");
    form.reset();
    byId("jobs-truncated").hidden = true;
    applyFilter();
  }

  return { id: "promotions", refresh, clear };
}

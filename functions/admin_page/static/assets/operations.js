// The "Operations" pane, for operators (admin scope or group): every queue's counts by state,
// dead-letter depth and pause switch; a search for jobs across sellers with each job's history;
// failed promotions grouped by reason, each group retried at once with a count first.

import { api, isAbort, withQuery } from "./api.js";
import { DASH, badge, byId, el, showMessage, showResult } from "./dom.js";
import { Form, busyWhile } from "./forms.js";
import { count, plural, relativeTime } from "./format.js";
import { adminOnly, poller } from "./poll.js";
import { Table, actionButton, numeric } from "./tables.js";
import { NOT_SYNCED, runLog, timeline } from "./timeline.js";

const STATES = ["waiting", "active", "delayed", "completed", "failed", "total"];
const QUEUES = [["promotion", "Promotions"], ["categoryFetch", "Category fetches"], ["market", "Market data"]];
const FAMILIES = [["promotion", "Promotions"], ["category_fetch", "Category fetches"], ["market", "Market data"]];
const FAILURES_LIMIT = 100;

function objectOr(value, fallback) {
  return value && typeof value === "object" ? value : fallback;
}

// A failure's reason without what differs from job to job (listing ids): jobs failing for one
// cause fall into one group, and the text before the first id is what the bulk filter looks for.
export function reasonOf(error) {
  const text = String(error || "no error recorded");
  const cut = text.search(/[0-9]{6,}/);
  return (cut < 0 ? text : text.slice(0, cut)).trim().slice(0, 200) || text.slice(0, 200);
}

export function operationsPane() {
  let proposal = null;  // a bulk action counted and waiting for a confirmation: { action, body, matched }
  let following = null;  // the bulk action whose progress is shown
  let search = null;  // the search shown: its query
  const opened = new Map();  // job key -> the history shown under it

  // ---- queues

  const queuesTable = new Table(byId("ops-queues-region"), {
    ids: { table: "ops-queues", body: "ops-queues-body" },
    columns: [
      { head: "Queue", row: true, show: (line) => [el("strong", { text: line.label }),
        ...(line.detail ? [el("span", { "class": "job-meta", text: line.detail })] : [])] },
      ...STATES.map((state) => ({
        head: state.charAt(0).toUpperCase() + state.slice(1),
        attrs: (line) => numeric({ "data-testid": "ops-count-" + line.key + "-" + state }, state === "failed" && count(line.counts[state]) > 0),
        show: (line) => String(count(line.counts[state])),
      })),
      { head: "Dead letters", attrs: (line) => numeric({ "data-testid": "ops-dlq-" + line.key }, count(line.dlq.depth) > 0),
        show: (line) => [String(count(line.dlq.depth)),
          ...(typeof line.dlq.oldestAgeSeconds === "number" ? [el("span", { "class": "job-meta",
            text: "oldest " + Math.round(line.dlq.oldestAgeSeconds) + " s" })] : [])] },
      { head: "State", attrs: (line) => ({ "data-testid": "ops-state-" + line.key }), show: (line) => (line.paused
        ? [badge("paused"), el("span", { "class": "job-meta", text: "by " + line.paused.by + (line.paused.reason ? ": " + line.paused.reason : "") })]
        : badge("running")) },
      { head: "Actions", hideHead: true, show: (line) => actionButton({
        action: line.paused ? "resume" : "pause", testid: (line.paused ? "ops-resume-" : "ops-pause-") + line.key,
        danger: !line.paused, text: line.paused ? "Resume" : "Pause", label: (line.paused ? "Resume the " : "Pause the ") + line.label + " queue",
        onClick: (button) => pauseOrResume(button, line) }) },
    ],
  });

  function renderQueues(view) {
    const dead = objectOr(view.deadLetters, {});
    const paused = objectOr(view.paused, {});
    const market = objectOr(view.market, {});
    const providers = Object.keys(market);
    const marketCounts = {};
    for (const state of STATES) { marketCounts[state] = providers.reduce((sum, p) => sum + count(objectOr(market[p], {})[state]), 0); }
    const lines = QUEUES.map(([key, label]) => ({
      key, label, paused: objectOr(paused[key], null), dlq: objectOr(dead[key], {}),
      counts: key === "market" ? marketCounts : objectOr(view[key], {}),
      detail: key === "market" ? providers.map((p) => p + " " + count(objectOr(market[p], {}).waiting) + " waiting").join(" \u00b7 ")
        : key === "promotion" ? count(objectOr(view.promotion, {}).unfinished) + " unfinished jobs; waiting, active, delayed count queue messages" : "",
    }));
    queuesTable.draw(lines, (line) => ({ "data-queue": line.key, "data-paused": String(!!line.paused) }));
  }

  function pauseOrResume(button, line) {
    const action = line.paused ? "resume" : "pause";
    busyWhile(button, api.post("/admin/queues/" + encodeURIComponent(line.key) + "/" + action,
                               action === "pause" ? { reason: "paused from the dashboard" } : undefined),
      (data) => showResult(byId("ops-queue-result"), data.message || ""),
      (error) => showResult(byId("ops-queue-result"), "Could not " + action + " the queue: " + error.message, true));
  }

  // ---- the search across sellers

  const searchForm = new Form(byId("ops-search-form"), {
    prefix: "ops",
    fields: [
      { name: "family", label: "Jobs", options: FAMILIES, value: "promotion" },
      { name: "jobId", label: "Job id", optional: true, attrs: { autocomplete: "off", spellcheck: "false" } },
      { name: "listingId", label: "Listing id", optional: true, attrs: { inputmode: "numeric", autocomplete: "off" } },
      { name: "seller", label: "Seller", optional: true, attrs: { autocomplete: "off", spellcheck: "false" } },
      { name: "status", label: "Status", optional: true, attrs: { autocomplete: "off", spellcheck: "false" } },
      { name: "reason", label: "Error contains", optional: true, attrs: { autocomplete: "off" } },
    ],
    submit: { text: "Search", primary: true },
  });
  const jobsTable = new Table(byId("ops-jobs-region"), {
    ids: { table: "ops-jobs", body: "ops-jobs-body", empty: "ops-jobs-empty" },
    empty: "Search for jobs by id, listing, seller, status or error.",
    columns: [
      { head: "Job", show: (job) => [el("code", { text: jobKey(job) }), el("span", { "class": "job-meta", text: whose(job) })] },
      { head: "Status", show: (job) => badge(String(job.status || ""), { "data-testid": "ops-job-status" }) },
      { head: "Detail", attrs: (job) => ({ "class": waiting(job) ? "waiting-text" : "error-text" }), show: (job) => detailOf(job) },
      { head: "Updated", attrs: numeric(), show: (job) => relativeTime(job.updatedAt) },
      { head: "History", show: (job) => historyToggle(job) },
    ],
  });

  function jobKey(job) {
    return String(job.id || job.jobId || DASH);
  }

  function whose(job) {
    if (job.listingId) { return "listing " + job.listingId + " \u00b7 seller " + job.userId; }
    if (job.provider) { return job.provider + " " + job.sku + (job.size ? " size " + job.size : ""); }
    return String(job.parentCategory || "") + (job.marketplaceId ? " \u00b7 " + job.marketplaceId : "");
  }

  function waiting(job) {
    return job.status === "pending" && job.lastError === NOT_SYNCED;
  }

  function detailOf(job) {
    if (waiting(job)) { return "Waiting for eBay to sync the listing"; }
    return String(job.lastError || job.error || DASH);
  }

  // Each row's history: the search by the job's own key answers it whole.
  function historyToggle(job) {
    const key = jobKey(job);
    const body = el("div", { "data-testid": "ops-history-" + key });
    const details = el("details", { "data-testid": "ops-history-toggle-" + key }, [el("summary", { text: "Show" }), body]);
    details.addEventListener("toggle", () => {
      if (!details.open) { opened.delete(key); return; }
      opened.set(key, body);
      body.replaceChildren(el("p", { "class": "muted", text: "Loading\u2026" }));
      const query = job.listingId ? { family: "promotion", jobId: key }
        : job.provider ? { family: "market", provider: job.provider, sku: job.sku, size: job.size || "" }
        : { family: "category_fetch", jobId: key };
      api.get(withQuery("/admin/jobs", query)).then((data) => {
        const found = Array.isArray(data.jobs) ? data.jobs[0] : null;
        body.replaceChildren(found && found.runs ? runLog(found.runs, "ops-timeline-" + key)
          : timeline(found ? found.history : [], "ops-timeline-" + key));
      }, (error) => {
        if (!isAbort(error)) { body.replaceChildren(el("p", { "class": "error-text", text: error.message })); }
      });
    });
    return details;
  }

  searchForm.sendOnSubmit(byId("ops-search-result"), {
    send() {
      const query = {};
      for (const name of ["family", "jobId", "listingId", "seller", "status", "reason"]) { query[name] = searchForm.value(name); }
      query.limit = 50;
      search = query;
      return api.get(withQuery("/admin/jobs", query));
    },
    done(data) {
      const jobs = Array.isArray(data.jobs) ? data.jobs : [];
      byId("ops-cancel-matching").hidden = search.family !== "promotion" || search.jobId !== "";
      jobsTable.draw(jobs, (job) => ({ "data-testid": "ops-job", "data-ops-job-id": jobKey(job), "data-status": String(job.status || "") }));
      return plural(jobs.length, "job", "jobs") + (data.cursor ? " (the newest; narrow the search to see others)" : "") + ".";
    },
  });

  // ---- failures by reason, and retrying a group at once

  const failuresTable = new Table(byId("ops-failures-region"), {
    ids: { table: "ops-failures", body: "ops-failures-body", empty: "ops-failures-empty" },
    empty: "No failed promotion jobs.",
    columns: [
      { head: "Reason", attrs: { "class": "error-text" }, show: (group) => group.reason },
      { head: "Jobs", attrs: (group) => numeric({ "data-testid": "ops-failure-count" }), show: (group) => String(group.jobs) },
      { head: "Sellers", attrs: numeric(), show: (group) => String(group.sellers.size) },
      { head: "Latest", attrs: numeric(), show: (group) => relativeTime(group.latest) },
      { head: "Actions", hideHead: true, show: (group) => actionButton({
        action: "retry", testid: "ops-retry-reason-" + group.index, text: "Retry these\u2026",
        label: "Retry the failed jobs of reason " + group.reason, onClick: (button) => retryReason(button, group.reason) }) },
    ],
  });

  function renderFailures(jobs) {
    const groups = new Map();
    for (const job of jobs) {
      const reason = reasonOf(job.lastError);
      const group = groups.get(reason) || { reason, jobs: 0, sellers: new Set(), latest: 0 };
      group.jobs += 1;
      group.sellers.add(job.userId);
      group.latest = Math.max(group.latest, count(job.updatedAt));
      groups.set(reason, group);
    }
    const sorted = [...groups.values()].sort((a, b) => b.jobs - a.jobs || (a.reason < b.reason ? -1 : 1));
    sorted.forEach((group, index) => { group.index = index; });
    failuresTable.draw(sorted, (group) => ({ "data-testid": "ops-failure", "data-reason": group.reason }));
  }

  // Count what a bulk action would match, then offer it: { action: "retry" | "cancel", body, text(n, more) }.
  function propose(button, action, body, text) {
    showResult(byId("ops-bulk-result"), "");
    busyWhile(button, api.post("/admin/promotions/" + action, { ...body, dryRun: true }), (data) => {
      const matched = count(data.matched);
      proposal = { action, body, matched };
      byId("ops-bulk-text").textContent = text(matched, !!data.more);
      byId("ops-bulk-confirm").textContent = (action === "retry" ? "Retry " : "Cancel ") + plural(matched, "job", "jobs");
      byId("ops-bulk").hidden = matched === 0;
      if (matched === 0) { showResult(byId("ops-bulk-result"), "No jobs match."); }
    }, (error) => showResult(byId("ops-bulk-result"), "Could not count the jobs: " + error.message, true));
  }

  function retryReason(button, reason) {
    propose(button, "retry", { reason }, (n, more) => plural(n, "failed job", "failed jobs") + (more ? " or more" : "") +
      " across sellers failed with \u201c" + reason + "\u201d.");
  }

  byId("ops-cancel-matching").addEventListener("click", (event) => {
    const body = {};
    for (const [name, key] of [["seller", "seller"], ["listingId", "listingId"], ["reason", "reason"]]) {
      const value = searchForm.value(name);
      if (value) { body[key] = value; }
    }
    propose(event.currentTarget, "cancel", body, (n, more) => plural(n, "pending job", "pending jobs") +
      (more ? " or more" : "") + " match this search" + (body.seller ? "" : " across sellers") + ".");
  });

  byId("ops-bulk-dismiss").addEventListener("click", () => {
    proposal = null;
    byId("ops-bulk").hidden = true;
  });
  byId("ops-bulk-confirm").addEventListener("click", (event) => {
    if (!proposal) { return; }
    const { action, body, matched } = proposal;
    busyWhile(event.currentTarget, api.post("/admin/promotions/" + action, { ...body, limit: Math.max(1, matched) }), (data) => {
      proposal = null;
      byId("ops-bulk").hidden = true;
      following = data.bulkActionId || null;
      showResult(byId("ops-bulk-result"), data.message || "Bulk " + action + " queued.");
    }, (error) => showResult(byId("ops-bulk-result"), "Could not start the " + action + ": " + error.message, true));
  });

  function followBulk(signal) {
    if (!following) { return Promise.resolve(); }
    const id = following;
    return api.get("/admin/bulk-actions/" + encodeURIComponent(id), signal).then((data) => {
      const action = objectOr(data.bulkAction, {});
      if (id !== following) { return; }
      const over = action.status === "completed" || action.status === "failed";
      const verb = action.action === "cancel" ? " cancelled, " : " retried, ";
      showResult(byId("ops-bulk-result"), "Bulk " + (action.action || "") + " " + id + ": " + (action.status || "") + ", " +
                 count(action.done) + verb + count(action.skipped) + " skipped of " + count(action.matched) + " matched.",
                 action.status === "failed");
      byId("ops-bulk-result").setAttribute("data-status", String(action.status || ""));
      if (over) { following = null; }
    }, (error) => { if (!isAbort(error)) { throw error; } });
  }

  // ---- the cycle

  const queues = adminOnly({ path: "/queues", refused: "Operations are for admins only: ", show: showAdminOnly,
                             errorLine: "ops-error", what: "the queues", render: (view, signal) => {
    renderQueues(view);
    const failures = api.get(withQuery("/admin/jobs", { family: "promotion", status: "failed", limit: FAILURES_LIMIT }), signal);
    return Promise.all([failures.then((data) => renderFailures(Array.isArray(data.jobs) ? data.jobs : [])), followBulk(signal)]);
  } });

  function refresh(signal) {
    return queues.load(signal);
  }

  function showAdminOnly(message) {
    byId("ops-admin").hidden = !!message;
    showMessage(byId("ops-admin-only"), message);
  }

  function clear() {
    queues.reset();
    proposal = null;
    following = null;
    search = null;
    opened.clear();
    showAdminOnly("");
    queuesTable.draw([]);
    jobsTable.draw([]);
    failuresTable.draw([]);
    byId("ops-bulk").hidden = true;
    byId("ops-cancel-matching").hidden = true;
    for (const id of ["ops-queue-result", "ops-search-result", "ops-bulk-result"]) { showResult(byId(id), ""); }
    showMessage(byId("ops-error"), "");
    searchForm.reset();
  }

  return { id: "operations", refresh, clear };
}

// The "Market data" pane. Admins see each provider's call budget this hour, jobs by status,
// recent scheduler runs and provider batches, and can run the scheduler or reset failed jobs;
// everyone can queue an item's refresh and list market jobs by status and provider.

import { api, isAbort, withQuery } from "./api.js";
import { DASH, badge, byId, el, showMessage, showResult } from "./dom.js";
import { Form, busyWhile } from "./forms.js";
import { clockTime, count, duration, plural } from "./format.js";
import { adminOnly, load, poller } from "./poll.js";
import { FilterButtons, Table, numeric } from "./tables.js";

const PROVIDERS = ["stockx", "alias", "ebay"];
const STATUSES = ["pending", "running", "deferred", "succeeded", "failed"];
const PRIORITIES = { 200: "manual", 150: "hot", 100: "background" };
const LIST_LIMIT = 50;
const LOADING = "Loading\u2026";

// Providers in a fixed order, then any others the API names.
function providersOf(map) {
  const keys = map && typeof map === "object" ? Object.keys(map) : [];
  return PROVIDERS.filter((p) => keys.includes(p)).concat(keys.filter((p) => !PROVIDERS.includes(p)).sort());
}

// {"stockx": 2, "alias": 0} -> "stockx 2 · alias 0"
function perProvider(map) {
  const names = providersOf(map);
  return names.length === 0 ? DASH : names.map((p) => p + " " + count(map[p])).join(" \u00b7 ");
}

function total(map) {
  return providersOf(map).reduce((sum, p) => sum + count(map[p]), 0);
}

function priorityText(priority) {
  if (typeof priority !== "number") { return DASH; }
  return PRIORITIES[priority] ? PRIORITIES[priority] + " (" + priority + ")" : String(priority);
}

function objectOr(value, fallback) {
  return value && typeof value === "object" ? value : fallback;
}

// Columns of counts and of instants, as the market's tables show them.
function countColumn(head, key, failed = false) {
  return { head, attrs: (item) => numeric({}, failed && count(item[key]) > 0), show: (item) => String(count(item[key])) };
}

function timeColumn(head, key) {
  return { head, attrs: numeric(), show: (item) => clockTime(item[key]) };
}

function capitalized(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function marketPane() {
  const details = byId("market-jobs-details");
  const providerSelect = byId("market-list-provider");
  const actionResult = byId("market-action-result");
  let filter = { status: "failed", provider: "" };
  // The token the API refused the overview to (403). A token's scopes do not change, so the
  // overview is not asked for again until another token signs in.
  let lastCounts = null;
  const filters = new FilterButtons(byId("market-status-filters"), {
    testid: "market-filter-", value: filter.status,
    choices: ["pending", "running", "deferred", "failed", "succeeded"].map((status) => [status, capitalized(status)]),
  }, (status) => chooseJobs(status, filter.provider));

  // Counts: one line per provider and an "All" line, each { key, label, value(status) }.
  const countsTable = new Table(byId("market-counts-region"), {
    ids: { table: "market-counts", body: "market-counts-body", foot: "market-counts-foot" },
    columns: [{ head: "Provider", row: true, show: (line) => line.label }].concat(STATUSES.concat(["total"]).map((status) => ({
      head: capitalized(status),
      attrs: (line) => numeric({ "data-testid": "market-count-" + line.key + "-" + status, "data-status": status },
                               line.key !== "all" && status === "failed" && line.value(status) > 0),
      show: (line) => String(line.value(status)),
    }))),
  });
  const runsTable = new Table(byId("market-runs-region"), {
    ids: { table: "market-runs", body: "market-runs-body", empty: "market-runs-empty" },
    empty: "No scheduler runs recorded yet.",
    columns: [
      timeColumn("Started", "startedAt"),
      { head: "Trigger", show: (run) => (run.idle && run.runs > 1
        ? [badge("idle"), el("span", { "class": "job-meta", text: run.runs + " runs dispatched nothing" })]
        : badge(String(run.trigger || DASH))) },
      { head: "Dispatched", attrs: { "data-testid": "market-run-dispatched" }, show: (run) => [
        el("strong", { text: total(objectOr(run.dispatched, {})) }),
        el("span", { "class": "job-meta", text: perProvider(objectOr(run.dispatched, {})) })] },
      { head: "Read", show: (run) => perProvider(run.read) },
      { head: "Available", show: (run) => perProvider(run.available) },
      countColumn("Reset stuck", "resetStuck"),
      { head: "Duration", attrs: numeric(), show: (run) => duration(run.finishedAt - run.startedAt) },
    ],
  });
  const batchesTable = new Table(byId("market-batches-region"), {
    ids: { table: "market-batches", body: "market-batches-body", empty: "market-batches-empty" },
    empty: "No provider batches yet.",
    columns: [
      timeColumn("Started", "startedAt"),
      { head: "Provider", show: (batch) => batch.provider || DASH },
      countColumn("Jobs", "batchSize"),
      countColumn("Succeeded", "succeeded"),
      countColumn("Failed", "failed", true),
      countColumn("Deferred", "deferred"),
      countColumn("Calls", "calls"),
      { head: "Duration", attrs: numeric(), show: (batch) => duration(batch.durationMs) },
    ],
  });
  const jobsTable = new Table(byId("market-jobs-region"), {
    ids: { table: "market-jobs", body: "market-jobs-body", empty: "market-jobs-empty" },
    empty: "No market jobs to show.",
    columns: [
      { head: "Item", show: (job) => [el("code", { text: job.sku || DASH }),
                                      el("span", { "class": "job-meta", text: job.size ? "size " + job.size : "any size" })] },
      { head: "Provider", show: (job) => job.provider || DASH },
      { head: "Status", show: (job) => badge(String(job.status || ""), { "data-testid": "market-job-status" }) },
      { head: "Priority", attrs: numeric(), show: (job) => priorityText(job.priority) },
      countColumn("Retries", "retryCount"),
      { head: "Last error", attrs: { "class": "error-text", "data-testid": "market-job-error" }, show: (job) => job.error || DASH },
      { head: "Price", attrs: { "data-testid": "market-job-price" }, show: priceOf },
      timeColumn("Enqueued", "enqueuedAt"),
      timeColumn("Updated", "updatedAt"),
    ],
  });

  function refresh(signal) {
    return Promise.all([overview.load(signal), loadJobs(signal), loadRefreshed(signal)]).then((results) => results.every(Boolean));
  }

  // ---- the prices of the items refreshed here: shown as soon as they are in

  let refreshed = [];  // [{ provider, sku, size }], the most recent first

  function loadRefreshed(signal) {
    if (refreshed.length === 0) { return Promise.resolve(true); }
    const items = refreshed;
    return Promise.all(items.map((item) => api.get(priceUrl(item), signal).then(
      (data) => ({ item, price: data && data.price, waiting: !(data && data.price) }),
      (error) => {
        if (isAbort(error)) { throw error; }
        return { item, price: null, waiting: false, error: error.message };
      }))).then((answers) => {
      if (items !== refreshed) { return true; }
      byId("market-prices-title").hidden = false;
      byId("market-prices").replaceChildren(...answers.map(({ item, price, waiting, error }) => el("li", {
        "data-testid": "market-price-item", "data-sku": item.sku, "data-provider": item.provider }, [
        el("strong", { text: item.provider + " " + item.sku + (item.size ? " size " + item.size : "") + ": " }),
        waiting ? el("span", { "class": "muted", text: "refresh queued, no price yet" })
          : error ? el("span", { "class": "error-text", text: error }) : priceText(price)])));
      return true;
    }, (error) => !isAbort(error));
  }

  function priceUrl(item) {
    return "/market/prices/" + encodeURIComponent(item.provider) + "/" + encodeURIComponent(item.sku) +
      (item.size ? "?size=" + encodeURIComponent(item.size) : "");
  }

  // ---- prices: what a succeeded job fetched, read once per job and update

  const prices = new Map();  // job id + update time -> the price shown (a node), or a request on its way

  function priceOf(job) {
    if (job.status !== "succeeded") { return DASH; }
    const key = job.id + "@" + job.updatedAt;
    const known = prices.get(key);
    if (known && known.node) { return known.node; }
    const cell = el("span", { "class": "muted", text: "\u2026" });
    if (!known) {
      const entry = { node: null };
      prices.set(key, entry);
      api.get(priceUrl(job)).then((data) => {
        entry.node = priceText(data && data.price);
        cell.replaceWith(entry.node);
      }, () => { prices.delete(key); cell.textContent = DASH; });
    }
    return cell;
  }

  function priceText(price) {
    if (!price || typeof price !== "object") { return document.createTextNode(DASH); }
    const money = (value) => (value === null || value === undefined ? DASH : price.currency + " " + value);
    const parts = [["ask", price.lowestAsk], ["bid", price.highestBid], ["last sale", price.lastSale]]
      .filter(([, value]) => value !== null && value !== undefined).map(([name, value]) => name + " " + money(value));
    return el("span", { "data-testid": "market-price", "data-lowest-ask": price.lowestAsk === null ? "" : String(price.lowestAsk),
                        text: parts.length ? parts.join(" \u00b7 ") : "no offers" });
  }

  // ---- the overview (admins only)

  // Not an admin: the overview says so, and the dashboard still counts as up to date.
  const overview = adminOnly({ path: "/market/overview", refused: "Budgets, queue counts and scheduler runs are for admins only: ",
                               show: showAdminOnly, render: renderOverview, errorLine: "market-error",
                               what: "the market overview" });

  function showAdminOnly(message) {
    byId("market-admin").hidden = !!message;
    showMessage(byId("market-admin-only"), message);
    if (message) { clearOverview(); }
  }

  function renderOverview(data) {
    renderBudgets(objectOr(data.budgets, {}));
    lastCounts = objectOr(data.jobs, {});
    renderCounts(lastCounts);
    renderRuns(Array.isArray(data.recentRuns) ? data.recentRuns : []);
    renderBatches(Array.isArray(data.recentBatches) ? data.recentBatches : []);
  }

  function renderBudgets(budgets) {
    const names = providersOf(budgets).filter((p) => objectOr(budgets[p], null));
    const items = names.map((provider) => budgetItem(provider, budgets[provider]));
    byId("market-budgets").replaceChildren(...items);
    byId("market-budgets-empty").textContent = "No provider budgets configured.";
    byId("market-budgets-empty").hidden = items.length > 0;
    const hourStart = names.map((p) => budgets[p].hourStart).find((ms) => typeof ms === "number");
    byId("market-hour").replaceChildren(...(hourStart === undefined ? [] : ["Hour started ", clockTime(hourStart)]));
  }

  function budgetItem(provider, budget) {
    const limit = count(budget.limit);
    const used = count(budget.used);
    const remaining = typeof budget.remaining === "number" ? budget.remaining : Math.max(0, limit - used);
    const allowed = count(budget.allowedNow);
    const summary = used + " of " + limit + " calls used";
    // value, max, low and high are attributes of <meter>: the bar needs no style attribute.
    const meter = el("meter", {
      min: 0, max: Math.max(limit, 1), value: Math.min(used, Math.max(limit, 1)),
      low: Math.max(1, Math.floor(limit * 0.75)), high: Math.max(1, Math.floor(limit * 0.9)), optimum: 0,
      "aria-label": provider + " calls used this hour", "aria-valuetext": summary, title: summary,
      "data-testid": "market-budget-meter-" + provider, "data-provider": provider,
      "data-used": used, "data-limit": limit, "data-remaining": remaining, "data-allowed-now": allowed,
      "data-hour-start": typeof budget.hourStart === "number" ? budget.hourStart : null,
      text: summary,
    });
    return el("li", { "data-provider": provider, "data-testid": "market-budget-" + provider }, [
      el("div", { "class": "budget-head" }, [
        el("span", { "class": "budget-name", text: provider }),
        el("span", { "class": "budget-used", "data-testid": "market-budget-used-" + provider, text: used + " / " + limit }),
      ]),
      meter,
      el("p", { "class": "budget-numbers muted small", "data-testid": "market-budget-text-" + provider,
                text: summary + " \u00b7 " + remaining + " left \u00b7 " + allowed + " allowed so far" }),
    ]);
  }

  function renderCounts(jobs) {
    const providers = providersOf(jobs);
    const countOf = (provider, status) => {
      const counts = objectOr(jobs[provider], {});
      return status === "total" ? STATUSES.reduce((sum, s) => sum + count(counts[s]), 0) : count(counts[status]);
    };
    countsTable.draw(providers.map((provider) => ({ key: provider, label: provider, value: (status) => countOf(provider, status) })),
                     (line) => ({ "data-provider": line.key }));
    const all = { key: "all", label: "All", value: (status) => providers.reduce((sum, p) => sum + countOf(p, status), 0) };
    countsTable.foot.replaceChildren(...(providers.length === 0 ? [] : [countsTable.fill(countsTable.row(all), all)]));
    showFilterCounts();
  }

  // Scheduled runs that dispatched nothing and reset nothing, in a row, are one line: "12 idle
  // runs". A run someone started by hand stays a line of its own, whatever it did.
  function foldIdle(runs) {
    const lines = [];
    for (const run of runs) {
      const idle = run.trigger !== "manual" && total(objectOr(run.dispatched, {})) === 0 && count(run.resetStuck) === 0;
      const last = lines[lines.length - 1];
      if (idle && last && last.idle) {
        last.runs += 1;
        last.startedAt = Math.min(last.startedAt, run.startedAt);
      } else {
        lines.push(idle ? { ...run, idle: true, runs: 1 } : run);
      }
    }
    return lines;
  }

  function renderRuns(runs) {
    runsTable.draw(foldIdle(runs.filter((run) => objectOr(run, null))), (run) => ({
      "data-testid": run.idle && run.runs > 1 ? "market-run-idle" : "market-run", "data-trigger": String(run.trigger || DASH),
      "data-dispatched": total(objectOr(run.dispatched, {})), "data-started-at": run.startedAt,
      "data-runs": run.runs || 1,
    }));
  }

  function renderBatches(batches) {
    batchesTable.draw(batches.filter((batch) => objectOr(batch, null)),
                      (batch) => ({ "data-testid": "market-batch", "data-provider": batch.provider }));
  }

  function clearOverview() {
    lastCounts = null;
    byId("market-budgets").replaceChildren();
    byId("market-budgets-empty").textContent = "Not loaded yet.";
    byId("market-budgets-empty").hidden = false;
    byId("market-hour").replaceChildren();
    countsTable.body.replaceChildren();
    countsTable.foot.replaceChildren();
    renderRuns([]);
    renderBatches([]);
    showFilterCounts();
  }

  // ---- the job list: one status (and optionally one provider) at a time, loaded while it is open

  function loadJobs(signal) {
    if (!details.open) { return Promise.resolve(true); }
    const wanted = filter;
    const request = api.get(withQuery("/market/jobs", { status: filter.status, provider: filter.provider, limit: LIST_LIMIT }),
                            signal);
    return load(signal, request, (data) => {
      // The filter changed while this was on its way: the next cycle loads the new one.
      if (wanted === filter) { renderJobs(Array.isArray(data.jobs) ? data.jobs : [], !!data.cursor); }
    }, byId("market-jobs-error"), "market jobs");
  }

  function renderJobs(jobs, more) {
    const listed = jobs.filter((job) => job && typeof job.id === "string");
    jobsTable.empty.textContent = "No market jobs to show.";
    jobsTable.draw(listed, (job) => ({
      "data-testid": "market-job", "data-market-job-id": job.id, "data-status": String(job.status || ""),
      "data-provider": job.provider, "data-enqueued-at": job.enqueuedAt,
    }));
    showMessage(byId("market-jobs-truncated"), more ? "Showing the " + listed.length + " most recently updated jobs." : "");
  }

  function clearJobs(message) {
    jobsTable.empty.textContent = message || "No market jobs to show.";
    jobsTable.draw([]);
    byId("market-jobs-truncated").hidden = true;
  }

  function setFilter(status, provider) {
    filter = { status, provider };
    filters.press(status);
    providerSelect.value = provider;
    showFilterCounts();
  }

  // The status buttons count each status's jobs (of the chosen provider), once the overview is known.
  function showFilterCounts() {
    const providers = providersOf(lastCounts).filter((p) => !filter.provider || p === filter.provider);
    filters.showCounts((status) => (lastCounts ? providers.reduce((sum, p) => sum + count(objectOr(lastCounts[p], {})[status]), 0)
      : null));
  }

  function chooseJobs(status, provider) {
    setFilter(status, provider);
    clearJobs(LOADING);
    poller.soon();
  }

  details.addEventListener("toggle", () => {
    clearJobs(details.open ? LOADING : "");
    showMessage(byId("market-jobs-error"), "");
    if (details.open) { poller.soon(); }
  });
  providerSelect.addEventListener("change", () => chooseJobs(filter.status, providerSelect.value));

  // ---- operations (admin): run the scheduler now, put failed jobs back in the queue

  function operation(button, where, describe, failure) {
    showResult(actionResult, "");
    busyWhile(button, api.post(where), (data) => showResult(actionResult, describe(data || {})),
              (error) => showResult(actionResult, failure + ": " + error.message, true));
  }

  byId("market-run").addEventListener("click", (event) => operation(event.currentTarget, "/market/scheduler/run", (data) => {
    const dispatched = objectOr(data.run && data.run.dispatched, {});
    const n = total(dispatched);
    return "Scheduler dispatched " + plural(n, "job", "jobs") + (n > 0 ? " (" + perProvider(dispatched) + ")." : ".");
  }, "Could not run the scheduler"));

  byId("market-reset").addEventListener("click", (event) => operation(event.currentTarget, "/market/jobs/reset-failed",
    (data) => "Reset " + plural(count(data.reset), "failed job", "failed jobs") + ".", "Could not reset the failed jobs"));

  // ---- refreshing one item (anyone signed in): it goes first, ahead of background work

  const result = byId("market-refresh-result");
  const form = new Form(byId("market-refresh-form"), {
    prefix: "market",
    fields: [
      { name: "provider", label: "Provider", options: [["stockx", "StockX"], ["alias", "Alias"], ["ebay", "eBay"]], value: "stockx" },
      { name: "sku", label: "SKU", hint: "The style code, e.g. DD1391-100.",
        attrs: { autocomplete: "off", autocapitalize: "characters", spellcheck: "false", required: true } },
      { name: "size", label: "Size", optional: true, hint: "E.g. 10.5 or XL. Leave empty for any size.",
        attrs: { autocomplete: "off", spellcheck: "false" } },
    ],
    submit: { text: "Queue refresh", primary: true },
  });

  // "items[0].sku" -> "sku": the form sends one item.
  function formField(name) {
    const field = name.replace(/^items\[\d+\]\.?/, "");
    if (field === "" && /^items/.test(name)) { return "sku"; }
    return ["provider", "sku", "size"].includes(field) ? field : null;
  }

  let what = "";   // the item the form sent, for the answer's wording
  form.sendOnSubmit(result, {
    fieldOf: formField,
    text: (item) => String(item.field) + ": " + String(item.message),
    send() {
      const provider = form.value("provider");
      const item = { sku: form.value("sku") };
      const size = form.value("size");
      if (size) { item.size = size; }
      what = provider + " " + (item.sku || DASH) + (size ? " size " + size : "");
      return api.post("/market/refresh", { provider, items: [item] });
    },
    done(data) {
      const sent = { provider: form.value("provider"), sku: form.value("sku"), size: form.value("size") };
      refreshed = [sent].concat(refreshed.filter((item) => priceUrl(item) !== priceUrl(sent))).slice(0, 10);
      // Keep the provider: sellers often refresh several items of one provider.
      form.control("sku").value = "";
      form.control("size").value = "";
      const list = (key) => (Array.isArray(data[key]) ? data[key] : []);
      if (list("queued").length > 0) { return "Queued " + what + " (job " + list("queued").join(", ") + ")."; }
      if (list("deduplicated").length === 0) { return "Nothing was queued."; }
      return "Already queued: " + what + " (job " + list("deduplicated").join(", ") + ")" +
        (list("raised").length > 0 ? ", moved up to manual priority." : ".");
    },
    failed(error) {
      // Fields the message does not name already are listed after it.
      const named = [...new Set(error.errors.map((item) => String((item && item.field) || "")).filter(Boolean))];
      const others = named.filter((name) => !error.message.includes(name));
      return "Not queued: " + error.message + (others.length > 0 ? " (also " + others.join(", ") + ")" : "");
    },
  });

  function clear() {
    overview.reset();
    prices.clear();
    refreshed = [];
    byId("market-prices").replaceChildren();
    byId("market-prices-title").hidden = true;
    showAdminOnly("");
    clearOverview();
    details.open = false;
    clearJobs();
    setFilter("failed", "");
    showMessage(byId("market-error"), "");
    showMessage(byId("market-jobs-error"), "");
    showResult(actionResult, "");
    showResult(result, "");
    form.reset();
    byId("market-run").disabled = false;
    byId("market-reset").disabled = false;
  }

  return { id: "market", refresh, clear };
}

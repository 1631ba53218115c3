// A job's history as a timeline: one line per entry, oldest first; entries that say the same
// thing in a row come folded from the API ("x6, 12:01:00-12:06:00").

import { DASH, el } from "./dom.js";
import { timeOfDay } from "./format.js";

const OUTCOMES = {
  queued: "queued", succeeded: "succeeded", retrying: "retrying", failed: "failed", deferred: "deferred",
  recovered: "recovered (its message was lost)", cancelled: "cancelled", retried: "queued again",
};

// "listing not synced yet" is eBay's sync delay: the job waits, nothing is wrong.
export const NOT_SYNCED = "listing not synced yet (eBay 35048)";

function when(entry) {
  const first = timeOfDay(entry.at);
  return entry.count > 1 && typeof entry.lastAt === "number" ? first + "\u2013" + timeOfDay(entry.lastAt) : first;
}

function what(entry) {
  const parts = [OUTCOMES[entry.outcome] || String(entry.outcome || DASH)];
  if (entry.outcome === "retrying" && entry.message === NOT_SYNCED) { parts[0] = "waiting for eBay to sync the listing"; }
  if (typeof entry.attempt === "number") {
    const first = entry.count > 1 ? entry.attempt - entry.count + 1 : entry.attempt;
    parts.push(entry.count > 1 && first >= 1 ? "attempts " + first + "\u2013" + entry.attempt : "attempt " + entry.attempt);
  }
  if (entry.count > 1) { parts.push("\u00d7" + entry.count); }
  return parts.join(" \u00b7 ");
}

function detail(entry) {
  const bits = [];
  if (entry.operation) { bits.push(entry.operation); }
  if (entry.provider) { bits.push(entry.provider); }
  if (typeof entry.httpStatus === "number") { bits.push("HTTP " + entry.httpStatus); }
  if (typeof entry.errorId === "number") { bits.push("eBay " + entry.errorId); }
  if (entry.message && entry.message !== NOT_SYNCED) { bits.push(entry.message); }
  if (entry.adId) { bits.push("ad " + entry.adId); }
  if (entry.campaignId) { bits.push("campaign " + entry.campaignId); }
  if (entry.by) { bits.push("by " + entry.by); }
  if (typeof entry.nextAttemptAt === "number" && ["retrying", "deferred", "queued", "retried", "recovered"].includes(entry.outcome)) {
    bits.push("next at " + timeOfDay(entry.nextAttemptAt));
  }
  return bits.join(" \u00b7 ");
}

// An <ol> of the entries; testid names the list.
export function timeline(entries, testid) {
  const items = (Array.isArray(entries) ? entries : []).filter((e) => e && typeof e.at === "number").map((entry) =>
    el("li", { "class": "timeline-entry " + String(entry.outcome || ""), "data-outcome": String(entry.outcome || ""),
               "data-count": entry.count || 1 }, [
      el("span", { "class": "timeline-when", text: when(entry) }),
      el("span", { "class": "timeline-what", text: what(entry) }),
      ...(detail(entry) ? [el("span", { "class": "job-meta", text: detail(entry) })] : [])]));
  if (items.length === 0) { return el("p", { "class": "muted", "data-testid": testid, text: "No history yet." }); }
  return el("ol", { "class": "timeline", "data-testid": testid }, items);
}

// A category fetch's run log, the same way (idle runs come folded: "x12").
export function runLog(runs, testid) {
  const items = (Array.isArray(runs) ? runs : []).filter((r) => r && typeof r.startedAt === "number").map((run) => {
    const count = run.runs > 1 ? " \u00b7 " + run.runs + " runs" : "";
    const numbers = [run.fetched + " fetched", run.failed ? run.failed + " failed" : "",
                     run.retried ? run.retried + " to retry" : "", run.ebayCalls + " eBay calls"].filter(Boolean).join(", ");
    return el("li", { "class": "timeline-entry " + String(run.outcome || ""), "data-outcome": String(run.outcome || "") }, [
      el("span", { "class": "timeline-when", text: timeOfDay(run.startedAt) + "\u2013" + timeOfDay(run.endedAt) }),
      el("span", { "class": "timeline-what", text: String(run.outcome || DASH) + count }),
      el("span", { "class": "job-meta", text: numbers + (run.reason ? " \u00b7 " + run.reason : "") })]);
  });
  if (items.length === 0) { return el("p", { "class": "muted", "data-testid": testid, text: "No runs yet." }); }
  return el("ol", { "class": "timeline", "data-testid": testid }, items);
}

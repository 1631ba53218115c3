// Numbers and times as the dashboard shows them. Times are <time> elements: the text is short,
// the title has the full local time and datetime the exact instant.

import { serverNow } from "./clock.js";
import { DASH, el } from "./dom.js";

// A count the API may have left out (or sent as something else) shows as 0.
export function count(value) {
  return typeof value === "number" && isFinite(value) ? value : 0;
}

export function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

// Epoch milliseconds from a number or an ISO 8601 string; null for anything else.
export function toMs(value) {
  if (typeof value === "number" && isFinite(value)) { return value; }
  const parsed = typeof value === "string" ? Date.parse(value) : NaN;
  return isFinite(parsed) ? parsed : null;
}

// "in 40 s", "3 min ago": how far an instant is from the server's now (see clock.js).
export function relative(ms) {
  const diff = ms - serverNow();
  const seconds = Math.round(Math.abs(diff) / 1000);
  if (seconds < 1) { return "now"; }
  let text;
  if (seconds < 60) { text = seconds + " s"; }
  else if (seconds < 3600) { text = Math.round(seconds / 60) + " min"; }
  else if (seconds < 86400) { text = Math.round(seconds / 3600) + " h"; }
  else { text = Math.round(seconds / 86400) + " d"; }
  return diff > 0 ? "in " + text : text + " ago";
}

function timeElement(ms, text) {
  const when = new Date(ms);
  return el("time", { datetime: when.toISOString(), title: when.toLocaleString(), text: text(when) });
}

// An instant relative to now ("in 40 s"), or a dash when there is none.
export function relativeTime(ms) {
  if (typeof ms !== "number" || !isFinite(ms)) { return document.createTextNode(DASH); }
  return timeElement(ms, () => relative(ms));
}

// An instant as a date and clock time: for records where when it was matters more than how long ago.
export function clockTime(ms) {
  if (typeof ms !== "number" || !isFinite(ms)) { return document.createTextNode(DASH); }
  return timeElement(ms, (when) => when.toLocaleString([], {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit"
  }));
}

// The time of day, for "Last updated 11:51:16".
export function clockText(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// "00:01:05": the time of day of an instant, for a timeline's compact lines.
export function timeOfDay(ms) {
  if (typeof ms !== "number" || !isFinite(ms)) { return DASH; }
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function duration(ms) {
  if (typeof ms !== "number" || !isFinite(ms) || ms < 0) { return DASH; }
  return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
}

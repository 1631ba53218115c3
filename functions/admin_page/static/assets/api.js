// The JSON API on this page's origin, called with the signed-in user's bearer token.
//
// A refused request rejects with an ApiError carrying the API's error shape,
// {"success": false, "ok": false, "error": "...", "errors": [{"field", "message"}]}, so a form
// can show each message next to the field it names. A 401 ends the session instead. A request
// that no longer matters (aborted, or made with a token since signed out) rejects with an
// AbortError, which callers ignore.

import { heardDate } from "./clock.js";
import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, message, errors = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errors = errors;
  }
}

function aborted() {
  const error = new Error("aborted");
  error.name = "AbortError";
  return error;
}

export function isAbort(error) {
  return !!error && error.name === "AbortError";
}

let unauthorized = () => {};

// What to do when the API no longer accepts the token (the page signs out).
export function onUnauthorized(handler) {
  unauthorized = handler;
}

function request(method, path, body, signal) {
  if (!session.token) { return Promise.reject(aborted()); }
  const generation = session.generation;
  const headers = { "Authorization": "Bearer " + session.token, "Accept": "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init).then((response) => response.text().then((text) => {
    heardDate(response.headers.get("Date"));
    if (generation !== session.generation || (signal && signal.aborted)) { throw aborted(); }
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (response.status === 401) {
      unauthorized();
      throw aborted();
    }
    if (!response.ok) {
      // API Gateway's own refusals say {"message": ...}; the functions' say {"error": ...}.
      const message = data && (data.error || data.message);
      throw new ApiError(response.status, message ? String(message) : "Request failed (HTTP " + response.status + ")",
                         data && Array.isArray(data.errors) ? data.errors : []);
    }
    return data;
  }), (error) => {
    if (isAbort(error) || generation !== session.generation) { throw aborted(); }
    throw new ApiError(0, "The API could not be reached. Check your connection.");
  });
}

export const api = {
  get: (path, signal) => request("GET", path, undefined, signal),
  post: (path, body) => request("POST", path, body),
  patch: (path, body) => request("PATCH", path, body),
  delete: (path) => request("DELETE", path),
};

// path`/promotions/${id}/retry`: each value is encoded as one path segment.
export function path(strings, ...values) {
  return strings.reduce((out, text, i) => out + encodeURIComponent(values[i - 1]) + text);
}

// withQuery("/market/jobs", { status: "failed", provider: "" }): empty values are left out.
export function withQuery(base, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) { query.set(name, String(value)); }
  }
  const text = query.toString();
  return text ? base + "?" + text : base;
}

// Building the page from plain data. Text reaches the DOM through textContent and text nodes
// only, never through an HTML parser: the page's Trusted Types policy ('none') refuses every
// string-to-HTML sink, so a job's error message can never become markup.

export const DASH = "\u2014";

export function byId(id) {
  return document.getElementById(id);
}

// el("td", { "class": "num", text: 3 }, [child, "text"]): attributes that are null, undefined or
// false are left out, true is an empty attribute, "text" is the element's textContent.
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) { continue; }
    if (name === "text") { node.textContent = String(value); } else { node.setAttribute(name, value === true ? "" : String(value)); }
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A status word as a coloured pill; the status is also its class (see dashboard.css).
export function badge(status, attrs = {}) {
  return el("span", { ...attrs, "class": "badge " + status, text: status });
}

// A line that is hidden while it has nothing to say (a pane's load error, an admin-only note).
export function showMessage(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

// A line that answers an action: green when it went through, red when it did not.
export function showResult(node, message, isError = false) {
  node.textContent = message;
  node.classList.toggle("error", !!isError);
  node.classList.toggle("ok", !isError && !!message);
}

// The dashboard-wide notice, for actions taken from a table row.
export function notify(message, isError = false) {
  showResult(byId("notice"), message, isError);
}

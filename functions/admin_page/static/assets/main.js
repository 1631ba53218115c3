// The dashboard page: signing in and out, and the panes, each a <section> of index.html and a
// module here. Adding a pane: its <section id=... data-pane-title=...> in index.html, a module
// whose factory returns { id, refresh(signal), clear() } (see poll.js), and a line in PANES.

import { onUnauthorized } from "./api.js";
import { byId, el } from "./dom.js";
import { clockText } from "./format.js";
import { poller } from "./poll.js";
import { begin, end, session, storedToken, takeTokenFromFragment } from "./session.js";
import { categoryFetchesPane } from "./category-fetches.js";
import { marketPane } from "./market.js";
import { operationsPane } from "./operations.js";
import { promotionsPane } from "./promotions.js";
import { webhooksPane } from "./webhooks.js";

const PANES = [promotionsPane, categoryFetchesPane, marketPane, webhooksPane, operationsPane];

function showSignIn(message) {
  byId("session").hidden = true;
  byId("dashboard").hidden = true;
  byId("signin").hidden = false;
  byId("signin-message").textContent = message;
  byId("signin-message").hidden = !message;
  const input = byId("token-input");
  if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  input.focus();
}

function signIn(raw) {
  if (!begin(raw)) {
    showSignIn("That is not a valid access token. Paste the whole token (three parts separated by dots).");
    return false;
  }
  byId("current-user").textContent = session.user;
  byId("admin-badge").hidden = !session.admin;
  byId("signin-message").textContent = "";
  byId("token-input").value = "";
  byId("token-input").removeAttribute("aria-invalid");
  byId("signin").hidden = true;
  byId("session").hidden = false;
  byId("dashboard").hidden = false;
  poller.start();
  return true;
}

// Forgets the token and everything shown with it.
function signOut(message) {
  end();
  poller.stop();
  poller.panes.forEach((pane) => pane.clear());
  byId("current-user").textContent = "";
  byId("last-updated").textContent = "Not loaded yet";
  byId("notice").textContent = "";
  showSignIn(message);
}

for (const factory of PANES) {
  const pane = factory();
  poller.register(pane);
  const title = byId(pane.id).getAttribute("data-pane-title") || pane.id;
  byId("pane-nav").append(el("li", {}, [el("a", { href: "#" + pane.id, text: title })]));
}
poller.onCycle = (when) => { byId("last-updated").textContent = "Last updated " + clockText(when); };
onUnauthorized(() => signOut("Your session has expired or the token was not accepted. Please sign in again."));

byId("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (signIn(byId("token-input").value)) { byId("main").focus(); }
});
byId("signout").addEventListener("click", () => signOut("You have signed out."));
window.addEventListener("hashchange", () => {
  const token = takeTokenFromFragment();
  if (token !== null) { signIn(token); }
});

const fromFragment = takeTokenFromFragment();
const token = fromFragment !== null ? fromFragment : storedToken();
// A stored token that is not one is forgotten; a bad one from the address bar says so.
if ((token === null || !signIn(token)) && fromFragment === null) {
  end();
  showSignIn("");
}

// Who is signed in. The token is kept in sessionStorage (this tab only) and sent only to this
// site's API; its payload is decoded for display only, since the API verifies it on every call.

const TOKEN_KEY = "sellerjobs.token";
const ADMIN_SCOPE = "sellerjobs/admin";
const ADMIN_GROUP = "admin";

// generation grows with every sign-in and sign-out, so an answer to a request made with an
// earlier token is recognised and dropped.
export const session = { token: null, user: null, admin: false, generation: 0 };

function stored(action) {
  try { return action(window.sessionStorage); } catch { return null; }  // storage off (private mode)
}

// The claims of a well-formed JWT with a subject, else null.
function decode(raw) {
  const token = String(raw || "").trim().replace(/^Bearer\s+/i, "");
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) { return null; }
  try {
    let b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    b64 += "====".slice(0, (4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(b64), (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (!claims || typeof claims !== "object" || typeof claims.sub !== "string" || !claims.sub) { return null; }
    return { token, claims };
  } catch {
    return null;
  }
}

// The same rule as the API's: the admin scope, or the admin group (Cognito sends groups as a
// list, or as one string "[a, b]").
function isAdmin(claims) {
  const scopes = claims.scope || claims.scp || "";
  const scopeList = Array.isArray(scopes) ? scopes : String(scopes).split(/\s+/);
  const groups = claims["cognito:groups"] || [];
  const groupList = Array.isArray(groups) ? groups : String(groups).replace(/[\[\],]/g, " ").split(/\s+/);
  return scopeList.includes(ADMIN_SCOPE) || groupList.includes(ADMIN_GROUP);
}

// Signs in with a pasted token; false (and nothing changed) if it is not a token.
export function begin(raw) {
  const decoded = decode(raw);
  if (!decoded) { return false; }
  session.generation += 1;
  session.token = decoded.token;
  session.user = decoded.claims.sub;
  session.admin = isAdmin(decoded.claims);
  stored((storage) => storage.setItem(TOKEN_KEY, decoded.token));
  return true;
}

export function end() {
  session.generation += 1;
  session.token = null;
  session.user = null;
  session.admin = false;
  stored((storage) => storage.removeItem(TOKEN_KEY));
}

export function storedToken() {
  return stored((storage) => storage.getItem(TOKEN_KEY));
}

// #token=<jwt> signs in; it is taken out of the address bar (and so out of history) at once.
export function takeTokenFromFragment() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token === null) { return null; }
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", window.location.pathname + window.location.search + (rest ? "#" + rest : ""));
  return token;
}

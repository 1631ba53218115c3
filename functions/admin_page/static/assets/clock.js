// The server's clock. The API's times (next attempts, updates) are on it; the browser's clock may
// differ, and the local stack runs its clock faster than real time. Every answer's Date header
// says what the server's clock read, so "in 40 s" is measured from the server's now.

let offsetMs = 0;

// An answer's Date header (whole seconds: the middle of that second is the best guess).
export function heardDate(header) {
  const at = Date.parse(header || "");
  if (isFinite(at)) { offsetMs = at + 500 - Date.now(); }
}

export function serverNow() {
  return Date.now() + offsetMs;
}

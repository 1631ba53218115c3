// Keeping the panes current: one refresh cycle at a time, every REFRESH_MS, and straight after
// an action so its effect shows at once.
//
// A pane is { id, refresh(signal) -> Promise<boolean>, clear() }: refresh loads and shows what
// the pane needs (true when all of it loaded), giving up when signal aborts; clear forgets
// everything shown, on sign-out.

import { api, isAbort } from "./api.js";
import { byId, showMessage } from "./dom.js";
import { session } from "./session.js";

const REFRESH_MS = 5000;

class Poller {
  constructor() {
    this.panes = [];
    this.onCycle = () => {};   // told when a whole cycle loaded: (Date) => void
    this.epoch = 0;            // grows on stop(), so a cycle from before it changes nothing
    this.timer = null;
    this.running = false;
    this.again = false;
    this.controller = null;
  }

  register(pane) {
    this.panes.push(pane);
  }

  start() {
    this.stop();
    this.run();
  }

  stop() {
    this.epoch += 1;
    clearTimeout(this.timer);
    this.timer = null;
    this.running = false;
    this.again = false;
    if (this.controller) { this.controller.abort(); }
    this.controller = null;
  }

  // Refresh as soon as possible: now if idle, else straight after the cycle in flight.
  soon() {
    if (!session.token) { return; }
    if (this.running) { this.again = true; } else { this.run(); }
  }

  run() {
    const epoch = this.epoch;
    clearTimeout(this.timer);
    this.timer = null;
    this.running = true;
    this.again = false;
    const controller = new AbortController();
    this.controller = controller;
    Promise.all(this.panes.map((pane) => pane.refresh(controller.signal))).then((results) => {
      if (epoch === this.epoch && results.every(Boolean)) { this.onCycle(new Date()); }
    }).finally(() => {
      if (epoch !== this.epoch) { return; }
      this.running = false;
      this.controller = null;
      if (this.again) { this.run(); } else { this.timer = setTimeout(() => this.run(), REFRESH_MS); }
    });
  }
}

export const poller = new Poller();

// One load of a pane's refresh: show the answer and clear the pane's error line, or say what
// could not be loaded. render may return a promise (more to load); resolves true when all loaded.
export function load(signal, request, render, errorLine, what) {
  return request.then((data) => {
    if (signal.aborted) { return false; }
    const more = render(data || {});
    showMessage(errorLine, "");
    return Promise.resolve(more).then(() => !signal.aborted);
  }, (error) => {
    if (isAbort(error) || signal.aborted) { return false; }
    showMessage(errorLine, "Could not load " + what + ": " + error.message);
    return false;
  });
}

// A part of a pane only admins may read (GET path). A 403 is an answer, not a failure: the
// user is not an admin, so show(refused + reason) says so, the pane counts as up to date, and
// the same token is not asked again. Otherwise show("") and render(data, signal) (which may
// return a promise: more to load). reset() forgets the refusal (sign-out).
export function adminOnly({ path, refused, show, render, errorLine, what }) {
  let refusedToken = null;
  return {
    load(signal) {
      const token = session.token;
      if (refusedToken !== null && refusedToken === token) { return Promise.resolve(true); }
      const answer = api.get(path, signal).catch((error) => {
        if (error.status === 403) { return { forbidden: error.message }; }
        throw error;
      });
      return load(signal, answer, (data) => {
        refusedToken = data.forbidden ? token : null;
        show(data.forbidden ? refused + data.forbidden : "");
        return data.forbidden ? undefined : render(data, signal);
      }, byId(errorLine), what);
    },
    reset() { refusedToken = null; },
  };
}

// The "Webhooks" pane: the caller's endpoints (add one, its secret shown once; send a test event,
// rotate the secret, disable or enable, delete), the recent deliveries of the endpoint picked,
// and, for admins, the latest job events and whether the bus took each.

import { api, isAbort, path, withQuery } from "./api.js";
import { DASH, badge, byId, el, notify, showMessage, showResult } from "./dom.js";
import { Form, Refusal, busyWhile } from "./forms.js";
import { count, relativeTime } from "./format.js";
import { load, poller } from "./poll.js";
import { session } from "./session.js";
import { LiveRows, Table, actionButton, numeric } from "./tables.js";

const EVENT_TYPES = ["promotion.succeeded", "promotion.failed", "promotion.cancelled", "category_fetch.completed",
                     "category_fetch.failed", "category_fetch.cancelled", "category_fetch.progress",
                     "market.price_updated", "market.job_failed"];
const DELIVERIES = 25;
const EVENTS = 50;

export function webhooksPane() {
  const errorLine = byId("webhooks-error");
  const result = byId("wh-result");
  const form = new Form(byId("wh-form"), {
    prefix: "wh",
    fields: [
      { name: "url", label: "Endpoint URL", testid: "wh-url", hint: "An https URL of a public address; checked again at every delivery.",
        attrs: { type: "url", autocomplete: "off", required: true, maxlength: 2048 } },
      { name: "description", label: "Description", optional: true, testid: "wh-description",
        attrs: { autocomplete: "off", maxlength: 200 } },
      { name: "events", label: "Events", testid: "wh-event", choices: EVENT_TYPES.map((type) => [type, type]),
        hint: "The event types this endpoint receives." },
    ],
    submit: { text: "Add endpoint", primary: true },
  });
  let selected = null;   // the endpoint whose deliveries are shown

  const table = new Table(byId("wh-region"), {
    ids: { table: "wh-table", body: "wh-body", empty: "wh-empty" },
    empty: "No webhook endpoints yet.",
    columns: [
      { head: "Endpoint", show: (hook) => [el("code", { text: hook.url }),
        el("span", { "class": "job-meta", text: hook.description || "" }), el("span", { "class": "job-meta" }, [el("code", { text: hook.id })])] },
      { head: "Events", attrs: { "data-testid": "wh-events-cell" }, show: (hook) => (hook.events || []).join(", ") || DASH },
      { head: "Status", show: (hook, row) => [badge(hook.status, { "data-testid": "wh-status-" + row.key }),
        ...(hook.failingSince ? [el("span", { "class": "job-error" }, ["failing since ", relativeTime(hook.failingSince)])] : [])] },
      { head: "Created", attrs: numeric(), show: (hook) => relativeTime(hook.createdAt) },
      { head: "Actions", hideHead: true, show: (hook, row) => row.actions },
    ],
  });
  const rows = new LiveRows(table, {
    key: (hook) => hook.id,
    rowAttrs: (id) => ({ "data-webhook-id": id }),
    create: (row) => { row.actions = el("div", { "class": "row-actions" }, rowActions(row)); },
    update: (row, hook) => {
      row.tr.setAttribute("data-status", hook.status);
      row.tr.classList.toggle("selected", row.key === selected);
      const enabled = hook.status === "active";
      row.toggle.textContent = enabled ? "Disable" : "Enable";
      row.toggle.setAttribute("data-action", enabled ? "disable" : "enable");
      row.toggle.setAttribute("aria-label", (enabled ? "Disable " : "Enable ") + hook.url);
      row.test.disabled = !enabled;
    },
  });

  const deliveries = new Table(byId("wh-deliveries-region"), {
    ids: { table: "wh-deliveries-table", body: "wh-deliveries-body", empty: "wh-deliveries-empty" },
    empty: "Pick an endpoint to see its deliveries.",
    columns: [
      { head: "Event", show: (d) => [el("strong", { text: d.type }), el("span", { "class": "job-meta" }, [el("code", { text: d.eventId })])] },
      { head: "State", show: (d) => badge(d.state, { "data-testid": "wh-delivery-state" }) },
      { head: "Attempts", attrs: numeric({ "data-testid": "wh-delivery-attempts" }), show: (d) => String(count(d.attempts)) },
      { head: "Last status", attrs: numeric(), show: (d) => (d.lastStatus === null || d.lastStatus === undefined ? DASH : String(d.lastStatus)) },
      { head: "Next retry", attrs: numeric(), show: (d) => relativeTime(d.state === "pending" ? d.nextAttemptAt : null) },
      { head: "Last error", attrs: { "class": "error-text" }, show: (d) => d.lastError || DASH },
    ],
  });

  const eventsLog = new Table(byId("wh-log-region"), {
    ids: { table: "wh-log-table", body: "wh-log-body", empty: "wh-log-empty" },
    empty: "No events yet.",
    columns: [
      { head: "Time", show: (e) => e.timestamp || DASH },
      { head: "Type", show: (e) => el("strong", { text: e.type }) },
      { head: "Sellers", show: (e) => (e.sellers || []).join(", ") || DASH },
      { head: "On the bus", show: (e) => (e.publishedAt ? relativeTime(e.publishedAt) : badge("pending")) },
      { head: "Event id", show: (e) => el("code", { text: e.id }) },
    ],
  });

  function rowActions(row) {
    const label = () => (row.item ? row.item.url : row.key);
    const button = (action, text, onClick, danger = false) => actionButton({
      action, testid: "wh-" + action + "-" + row.key, text, danger, label: text + " " + label(), onClick });
    row.test = button("test", "Send test", (b) => busyWhile(b, api.post(path`/webhooks/${row.key}/test`), (data) => {
      selected = row.key;
      notify("Test event " + data.eventId + " queued for " + label() + ".");
    }, (error) => notify("Could not send a test event: " + error.message, true)));
    row.toggle = button("disable", "Disable", (b) => {
      const status = row.item && row.item.status === "active" ? "disabled" : "active";
      return busyWhile(b, api.patch(path`/webhooks/${row.key}`, { status }), (hook) => {
        if (hook && rows.get(row.key)) { rows.update(row, hook); }
        notify(label() + (status === "active" ? " enabled." : " disabled."));
      }, (error) => notify("Could not change " + label() + ": " + error.message, true));
    });
    return [
      button("deliveries", "Deliveries", () => { selected = row.key; poller.soon(); }),
      row.test,
      button("rotate", "Rotate secret", (b) => busyWhile(b, api.post(path`/webhooks/${row.key}/rotate-secret`), (hook) => {
        showSecret(hook, "New signing secret for " + hook.url + " (the old one keeps signing for 24 hours):");
        notify("Secret of " + label() + " rotated.");
      }, (error) => notify("Could not rotate the secret: " + error.message, true))),
      row.toggle,
      button("delete", "Delete", (b) => busyWhile(b, api.delete(path`/webhooks/${row.key}`), () => {
        if (selected === row.key) { selected = null; }
        notify(label() + " deleted.");
      }, (error) => notify("Could not delete " + label() + ": " + error.message, true)), true),
    ];
  }

  // The secret is in the page only until dismissed (or sign-out): the API never shows it again.
  function showSecret(hook, text) {
    byId("wh-secret-text").textContent = text;
    byId("wh-secret-value").textContent = hook.secret || "";
    byId("wh-secret").hidden = !hook.secret;
  }
  byId("wh-secret-dismiss").addEventListener("click", () => showSecret({}, ""));

  function refresh(signal) {
    const requests = [api.get("/webhooks", signal)];
    requests.push(selected ? api.get(withQuery(path`/webhooks/${selected}/deliveries`, { limit: DELIVERIES }), signal)
      .catch((error) => { if (!isAbort(error) && error.status === 404) { return null; } throw error; }) : Promise.resolve(null));
    requests.push(session.admin ? api.get(withQuery("/admin/events", { limit: EVENTS }), signal) : Promise.resolve(null));
    return load(signal, Promise.all(requests), ([list, delivered, events]) => {
      const hooks = Array.isArray(list.webhooks) ? list.webhooks.filter((h) => h && typeof h.id === "string") : [];
      if (selected && !hooks.some((h) => h.id === selected)) { selected = null; }
      rows.sync(hooks);
      table.showing(hooks.length);
      renderDeliveries(delivered);
      byId("wh-log").hidden = !session.admin;
      if (events) { eventsLog.draw(Array.isArray(events.events) ? events.events : [], (e) => ({ "data-event-id": e.id })); }
    }, errorLine, "webhooks");
  }

  function renderDeliveries(data) {
    const hook = selected ? rows.get(selected) : null;
    byId("wh-deliveries-of").textContent = hook ? "of " + hook.item.url : "";
    if (!selected || !data) {
      deliveries.draw([]);
      return;
    }
    deliveries.draw(Array.isArray(data.deliveries) ? data.deliveries : [],
                    (d) => ({ "data-event-id": d.eventId, "data-state": d.state }));
  }

  form.sendOnSubmit(result, {
    send() {
      const events = form.values("events");
      if (events.length === 0) { throw new Refusal("events", "pick at least one event type"); }
      const payload = { url: form.value("url"), events };
      const description = form.value("description");
      if (description) { payload.description = description; }
      return api.post("/webhooks", payload);
    },
    done(hook) {
      form.reset();
      selected = hook.id;
      showSecret(hook, "Signing secret for " + hook.url + ". It is shown only now: store it in your receiver.");
      return "Endpoint " + hook.id + " added.";
    },
    fieldOf: (name) => (name.startsWith("events") ? "events" : name === "url" || name === "description" ? name : null),
  });

  function clear() {
    rows.clear();
    selected = null;
    table.showing(0);
    deliveries.draw([]);
    eventsLog.draw([]);
    showSecret({}, "");
    showMessage(errorLine, "");
    showResult(result, "");
    form.reset();
    byId("wh-log").hidden = true;
  }

  return { id: "webhooks", refresh, clear };
}

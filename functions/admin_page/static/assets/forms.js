// Forms and buttons that call the API.
//
// A pane declares its form's fields; Form builds each one (label, control, hint, error line, and
// the ARIA that ties them together) into the <form> of index.html. The API's field errors
// [{"field", "message"}] then land next to the control they name: the control is marked
// aria-invalid and the first one gets focus.

import { isAbort } from "./api.js";
import { el, showResult } from "./dom.js";
import { poller } from "./poll.js";

// A value the page refuses before asking the API, worded as the API would.
export class Refusal extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// One request on behalf of a button: the button is disabled meanwhile, and the dashboard is
// refreshed straight after, whatever the answer. Aborted requests are not failures.
export function busyWhile(button, request, done, failed) {
  button.disabled = true;
  return request.then(done, (error) => {
    if (!isAbort(error)) { failed(error); }
  }).finally(() => {
    button.disabled = false;
    poller.soon();
  });
}

export class Form {
  // prefix: the start of the ids: control "<prefix>-<name>", hint "<prefix>-hint-<name>", error
  //   line "<prefix>-error-<name>" (ids, given as { control, hint, error } prefixes, overrides it)
  // fields: [{ name, label, optional, hint, testid, attrs, options: [[value, text]], value, choices }]
  //   a field with options is a <select> (value: the one selected at first); with choices
  //   ([[value, text]]) a group of checkboxes (values(name) gives the checked ones); else an <input>
  // submit: { text, primary }; the button's id and test id are the form's with "-submit" for "-form"
  constructor(element, { prefix, ids, fields, submit }) {
    this.element = element;
    this.ids = ids || { control: prefix + "-", hint: prefix + "-hint-", error: prefix + "-error-" };
    this.fields = new Map();   // name -> { control, line }, in the form's order
    element.replaceChildren(...fields.map((field) => this.field(field)));
    const buttonId = element.id.replace(/-form$/, "-submit");
    this.button = el("button", { type: "submit", "class": submit.primary ? "primary" : null, id: buttonId,
                                 "data-testid": buttonId, text: submit.text });
    element.append(el("div", { "class": "actions" }, [this.button]));
  }

  field({ name, label, optional = false, hint = "", testid, attrs = {}, options = null, value = null, choices = null }) {
    if (choices) { return this.checkboxes({ name, label, hint, testid, choices }); }
    const id = this.ids.control + name;
    const hintId = hint ? this.ids.hint + name : null;
    const errorId = this.ids.error + name;
    const controlAttrs = { ...attrs, id, name, "data-testid": testid || id,
                           "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") };
    const control = options
      ? el("select", controlAttrs, options.map(([optionValue, text]) => el("option", { value: optionValue, selected: optionValue === value, text })))
      : el("input", controlAttrs);
    const line = el("p", { "class": "field-error", id: errorId, "data-testid": errorId, hidden: true });
    this.fields.set(name, { control, line });
    return el("div", {}, [
      el("label", { "for": id }, optional ? [label + " ", el("span", { "class": "muted", text: "(optional)" })] : [label]),
      control,
      ...(hint ? [el("p", { "class": "hint", id: hintId, text: hint })] : []),
      line,
    ]);
  }

  // A <fieldset> of checkboxes: its legend is the label, each box's test id is testid + "-" + value.
  checkboxes({ name, label, hint, testid, choices }) {
    const id = this.ids.control + name;
    const hintId = hint ? this.ids.hint + name : null;
    const errorId = this.ids.error + name;
    const boxes = choices.map(([value, text]) => el("label", { "class": "choice" }, [
      el("input", { type: "checkbox", name, value, id: id + "-" + value, "data-testid": (testid || id) + "-" + value }),
      " " + text]));
    const line = el("p", { "class": "field-error", id: errorId, "data-testid": errorId, hidden: true });
    const control = el("fieldset", { id, "class": "choices", "data-testid": testid || id,
                                     "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") },
                       [el("legend", { text: label }), ...boxes]);
    this.fields.set(name, { control, line });
    return el("div", { "class": "wide" }, [control, ...(hint ? [el("p", { "class": "hint", id: hintId, text: hint })] : []), line]);
  }

  control(name) {
    return this.fields.get(name).control;
  }

  // The checked values of a group of checkboxes.
  values(name) {
    return [...this.control(name).querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
  }

  // The field's text, without the spaces around it.
  value(name) {
    return this.control(name).value.trim();
  }

  clearErrors() {
    for (const { control, line } of this.fields.values()) {
      line.textContent = "";
      line.hidden = true;
      control.removeAttribute("aria-invalid");
    }
  }

  // Shows message next to field, unless the field shows one already; false if no such field.
  showError(field, message) {
    const slot = this.fields.get(field);
    if (!slot) { return false; }
    if (slot.line.hidden) {
      slot.line.textContent = message;
      slot.line.hidden = false;
      slot.control.setAttribute("aria-invalid", "true");
    }
    return true;
  }

  // The API's field errors, each next to its field: fieldOf maps the API's field name to the
  // form's (null: none), text words the message.
  placeErrors(errors, fieldOf = (name) => name, text = (item) => String(item.message)) {
    for (const item of errors || []) {
      if (!item || typeof item !== "object") { continue; }
      const field = fieldOf(String(item.field || ""));
      if (field !== null) { this.showError(field, text(item)); }
    }
  }

  focusFirstError() {
    const first = [...this.fields.values()].find((slot) => !slot.line.hidden);
    if (first) { first.control.focus(); }
  }

  reset() {
    this.element.reset();
    this.clearErrors();
  }

  // Sends the form to the API when it is submitted; the answer goes to the result line.
  //   send():        the request (a promise); may throw a Refusal instead
  //   done(data):    what to say when it went through (it may also reset fields)
  //   failed(error): what to say when the API refused it (default: the API's message)
  //   fieldOf, text: see placeErrors
  sendOnSubmit(result, { send, done, failed = (error) => error.message, fieldOf, text }) {
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.clearErrors();
      showResult(result, "");
      let request;
      try {
        request = send();
      } catch (error) {
        if (!(error instanceof Refusal)) { throw error; }
        this.showError(error.field, error.message);
        showResult(result, error.field + ": " + error.message, true);
        this.focusFirstError();
        return;
      }
      busyWhile(this.button, request, (data) => showResult(result, done(data || {})), (error) => {
        this.placeErrors(error.errors, fieldOf, text);
        showResult(result, failed(error), true);
        this.focusFirstError();
      });
    });
  }
}

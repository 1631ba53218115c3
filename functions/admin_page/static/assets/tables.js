// Tables, their rows and the controls around them.

import { el } from "./dom.js";

// A cell's content, shown unless it is what the cell holds already: a node that stays in place
// keeps its focus (a row's button, through the page's refresh).
function show(cell, content) {
  const nodes = [].concat(content);
  const same = nodes.length === cell.childNodes.length && nodes.every((node, i) => node === cell.childNodes[i]);
  if (!same) { cell.replaceChildren(...nodes); }
}

// A table declared by its columns, built into its region (<div class="table-wrap">) of index.html.
//   ids:     { table, body, empty, foot }: the element ids (also the test ids); without empty, the
//            table has no empty note and always shows; without foot, no <tfoot>
//   columns: [{ head, hideHead, attrs, show, row }]
//     head:  the heading; hideHead keeps it for screen readers only (a column of buttons)
//     attrs: the cells' attributes, or item => attributes
//     show:  (item, row) => the cell's content: a node, text, or a list of them (row: see LiveRows)
//     row:   true for a row heading (<th scope="row">)
//   empty:   the note shown while the table has no rows
export class Table {
  constructor(region, { ids, columns, empty = "" }) {
    this.columns = columns;
    this.body = el("tbody", { id: ids.body, "data-testid": ids.body });
    this.foot = ids.foot ? el("tfoot", { id: ids.foot }) : null;
    const heads = columns.map((column) => el("th", { scope: "col" }, [
      column.hideHead ? el("span", { "class": "visually-hidden", text: column.head }) : column.head]));
    this.table = el("table", { id: ids.table, "data-testid": ids.table, hidden: !!ids.empty },
                    [el("thead", {}, [el("tr", {}, heads)]), this.body, this.foot].filter(Boolean));
    this.empty = ids.empty ? el("p", { "class": "empty muted", id: ids.empty, "data-testid": ids.empty, text: empty }) : null;
    region.replaceChildren(...[this.table, this.empty].filter(Boolean));
  }

  // A row showing item, with its cells empty until fill(); rowAttrs are the <tr>'s attributes.
  row(item, rowAttrs = {}) {
    return el("tr", rowAttrs, this.columns.map((column) => {
      const attrs = typeof column.attrs === "function" ? column.attrs(item) : column.attrs;
      return el(column.row ? "th" : "td", column.row ? { scope: "row", ...attrs } : attrs);
    }));
  }

  // Shows item in the cells of tr (row: the live row it belongs to, if any).
  fill(tr, item, row) {
    this.columns.forEach((column, i) => show(tr.cells[i], column.show(item, row)));
    return tr;
  }

  // Replaces the rows by one per item; rowAttrs(item) gives each <tr>'s attributes.
  draw(items, rowAttrs = () => ({})) {
    this.body.replaceChildren(...items.map((item) => this.fill(this.row(item, rowAttrs(item)), item)));
    this.showing(items.length);
  }

  // The table shows only when it has rows, its empty note otherwise.
  showing(rowCount) {
    if (!this.empty) { return; }
    this.table.hidden = rowCount === 0;
    this.empty.hidden = rowCount > 0;
  }
}

// A table's rows as they live across refreshes, one row per item key, updated in place and moved
// only when out of place (so a focused button in a row keeps its focus).
//   key(item):          the item's key
//   rowAttrs(key):      the <tr>'s attributes
//   create(row):        more for a new row, e.g. another <tr> in row.nodes, or state of its own
//   update(row, item):  what the cells do not show, e.g. the <tr>'s status attribute
// A row is { key, tr, nodes: [tr, ...], item, ...what create adds }.
export class LiveRows {
  constructor(table, { key, rowAttrs, create = () => {}, update = () => {} }) {
    Object.assign(this, { table, key, rowAttrs, create, onUpdate: update });
    this.rows = new Map();
  }

  get(key) {
    return this.rows.get(key);
  }

  forEach(action) {
    this.rows.forEach(action);
  }

  update(row, item) {
    row.item = item;
    this.table.fill(row.tr, item, row);
    this.onUpdate(row, item);
  }

  // Shows items, in this order; rows of other keys go.
  sync(items) {
    const keys = new Set(items.map(this.key));
    for (const [key, row] of this.rows) {
      if (!keys.has(key)) { this.remove(key, row); }
    }
    let at = 0;
    const body = this.table.body;
    for (const item of items) {
      const key = this.key(item);
      let row = this.rows.get(key);
      if (!row) {
        const tr = this.table.row(item, this.rowAttrs(key));
        row = { key, tr, nodes: [tr], item };
        this.create(row);
        this.rows.set(key, row);
      }
      this.update(row, item);
      for (const node of row.nodes) {
        if (body.children[at] !== node) { body.insertBefore(node, body.children[at] || null); }
        at += 1;
      }
    }
  }

  clear() {
    for (const [key, row] of this.rows) { this.remove(key, row); }
  }

  remove(key, row) {
    row.nodes.forEach((node) => node.remove());
    this.rows.delete(key);
  }
}

// Attributes of a numeric cell; failed marks a count of failures worth noticing.
export function numeric(attrs = {}, failed = false) {
  return { ...attrs, "class": "num" + (failed ? " count-failed" : "") };
}

// A row's action button (cancel, retry, ...); danger colours one that takes something away.
export function actionButton({ action, testid, label, text, danger = false, onClick }) {
  const button = el("button", { type: "button", "class": "small" + (danger ? " danger" : ""), "data-testid": testid,
                                "data-action": action, "aria-label": label, text });
  button.addEventListener("click", () => onClick(button));
  return button;
}

// A live row's action button: made again only when the action changes, so it keeps its focus
// through a refresh. make(action) builds it; no action, no button.
export function rowButton(row, action, make) {
  if (action !== row.action) {
    row.action = action;
    row.button = action ? make(action) : null;
  }
  return row.button ? [row.button] : [];
}

// Buttons that choose one value of a filter, each with a count of the items it would show.
//   choices: [[value, label, countKey]]; testid: the buttons' test ids are testid + value
//   value: the one chosen at first; onChoose(value) is called on a click
export class FilterButtons {
  constructor(group, { choices, testid, value }, onChoose) {
    this.buttons = choices.map(([choice, label, countKey]) => {
      const button = el("button", { type: "button", "data-filter": choice, "data-testid": testid + choice,
                                    "aria-pressed": String(choice === value) },
                        [label + " ", el("span", { "class": "count", "data-count": countKey || choice })]);
      button.addEventListener("click", () => onChoose(choice));
      return button;
    });
    group.replaceChildren(...this.buttons);
  }

  press(value) {
    for (const button of this.buttons) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-filter") === value));
    }
  }

  // countOf(countKey) -> a number, or null when unknown (then no count is shown).
  showCounts(countOf) {
    for (const button of this.buttons) {
      const span = button.querySelector("[data-count]");
      const value = countOf(span.getAttribute("data-count"));
      span.textContent = typeof value === "number" ? "(" + value + ")" : "";
    }
  }
}

// A row under a live row that opens to show more of it (its errors, its history), across the
// whole table. Opening it asks for a refresh (refresh()) when what it shows is out of date
// (stale()), with placeholder() in its body until the first load. Returns { details, tr }.
export function detailsRow(row, table, { testid, attrs, summary, body, placeholder, stale, refresh }) {
  const details = el("details", { "data-testid": testid }, [summary, body]);
  const tr = el("tr", { "class": "errors-row", ...attrs }, [el("td", { colspan: table.columns.length }, [details])]);
  row.nodes.push(tr);
  let opened = false;
  details.addEventListener("toggle", () => {
    if (!details.open || !stale()) { return; }
    if (!opened) { body.replaceChildren(placeholder()); }
    opened = true;
    refresh();
  });
  return { details, tr };
}

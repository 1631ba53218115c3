// Looking up the aspects a category fetch stored for one category: one request at a time, the
// latest wins. Part of the "Category fetches" pane.

import { api, isAbort, path } from "./api.js";
import { DASH, badge, byId, el } from "./dom.js";
import { Form } from "./forms.js";
import { relativeTime, toMs } from "./format.js";

const ASPECT_VALUES_SHOWN = 10;

// marketplace: the marketplace field, as the pane's other form has it.
export function aspectsLookup(marketplace) {
  const form = new Form(byId("aspects-form"), {
    prefix: "aspects",
    fields: [
      { ...marketplace, testid: "aspects-marketplace" },
      { name: "categoryId", label: "Category id", testid: "aspects-category", hint: "A leaf category a fetch has stored.",
        attrs: { inputmode: "numeric", autocomplete: "off", required: true } },
    ],
    submit: { text: "Look up" },
  });
  const result = byId("aspects-result");
  let lookup = null;   // the AbortController of the lookup in flight

  function renderAspects(data) {
    const aspects = Array.isArray(data.aspects) ? data.aspects.filter((a) => a && typeof a === "object") : [];
    const isRequired = (aspect) => !!(aspect.aspectConstraint && aspect.aspectConstraint.aspectRequired === true);
    const required = aspects.filter(isRequired);
    const head = el("p", { "class": "aspects-head" }, [
      el("strong", { "data-testid": "aspects-category-name", text: data.categoryName || "Category " + data.categoryId }), " ",
      el("span", { "class": "muted small",
                   text: "(" + [data.categoryId, data.marketplaceId, "tree " + (data.categoryTreeId || DASH)].join(" \u00b7 ") + ")" }),
    ]);
    const summary = el("p", { "class": "muted small" }, [
      aspects.length + (aspects.length === 1 ? " aspect, " : " aspects, ") + required.length + " required. Fetched ",
      relativeTime(toMs(data.fetchedAt)), ".",
    ]);
    const list = aspects.length === 0 ? el("p", { "class": "muted", text: "This category has no aspects." })
      : el("ul", { "class": "detail-list", "data-testid": "aspects-list" }, aspects.map((aspect) => {
        const name = String(aspect.localizedAspectName || DASH);
        const values = (Array.isArray(aspect.aspectValues) ? aspect.aspectValues : [])
          .map((v) => (v && v.localizedValue !== undefined ? String(v.localizedValue) : "")).filter(Boolean);
        const hidden = values.length - ASPECT_VALUES_SHOWN;
        const valuesText = values.length === 0 ? "Any value"
          : values.slice(0, ASPECT_VALUES_SHOWN).join(", ") + (hidden > 0 ? ", \u2026 (" + hidden + " more)" : "");
        return el("li", { "data-aspect-name": name, "data-required": String(isRequired(aspect)) }, [
          el("span", { "class": "aspect-name", text: name }),
          ...(isRequired(aspect) ? [" ", badge("required")] : []),
          el("span", { "class": "aspect-values", text: valuesText }),
        ]);
      }));
    result.replaceChildren(head, summary, list);
  }

  form.element.addEventListener("submit", (event) => {
    event.preventDefault();
    if (lookup) { lookup.abort(); }
    form.clearErrors();
    const marketplace = form.value("marketplaceId");
    const categoryId = form.value("categoryId");
    if (!/^\d+$/.test(categoryId)) {
      form.showError("categoryId", "Enter a category id (digits only).");
      result.replaceChildren();
      form.focusFirstError();
      return;
    }
    const controller = new AbortController();
    lookup = controller;
    const submit = form.button;
    submit.disabled = true;
    result.replaceChildren(el("p", { "class": "muted", text: "Looking up category " + categoryId + "\u2026" }));
    api.get(path`/categories/${marketplace}/${categoryId}/aspects`, controller.signal).then((data) => {
      if (!controller.signal.aborted) { renderAspects(data || {}); }
    }, (error) => {
      if (isAbort(error) || controller.signal.aborted) { return; }
      const missing = error.status === 404;
      const message = missing
        ? "Category " + categoryId + " on " + marketplace + ": not fetched yet. Start a category fetch that includes it."
        : "Could not look up category " + categoryId + ": " + error.message;
      result.replaceChildren(el("p", { "class": "message " + (missing ? "" : "error"), text: message }));
    }).finally(() => {
      if (lookup !== controller) { return; }
      lookup = null;
      submit.disabled = false;
    });
  });

  function clear() {
    if (lookup) { lookup.abort(); lookup = null; }
    form.button.disabled = false;
    form.reset();
    result.replaceChildren();
  }

  return { clear };
}

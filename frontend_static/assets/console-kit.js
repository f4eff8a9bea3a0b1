// Small helpers of the organizer console: lists that update in place (so a form being typed in
// is never rebuilt), selects refilled without losing the choice, buttons that run one mutation.
import { h, showError } from "./ui.js";

// Shared with the other pages; re-exported so the console's modules import their helpers from one place.
export { fill, fillSelect } from "./ui.js";
export { nowLocal } from "./format.js";

const updaters = new WeakMap();

/**
 * Make `container` show one child per item, in order, reusing the child made for the same key.
 * `create(item)` returns {el, update(item)}; update runs on every sync, create only once per key.
 * Children already in place are not moved, so focus and typed text inside them stay.
 */
export function syncList(container, items, keyOf, create, empty = "暂无。") {
  const existing = new Map();
  for (const child of [...container.children]) {
    if (child.dataset.key) existing.set(child.dataset.key, child);
    else child.remove();
  }
  items.forEach((item, i) => {
    const key = String(keyOf(item));
    let el = existing.get(key);
    if (el) existing.delete(key);
    else {
      const made = create(item);
      el = made.el;
      el.dataset.key = key;
      if (made.update) updaters.set(el, made.update);
    }
    updaters.get(el)?.(item);
    const at = container.children[i];
    if (at !== el) container.insertBefore(el, at ?? null);
  });
  for (const el of existing.values()) el.remove();
  if (!items.length && empty) container.append(h(container.tagName === "UL" || container.tagName === "OL" ? "li" : "p", { class: "muted" }, empty));
}


/** A labelled checkbox; the label is visible and wraps the box. */
export function checkbox(name, text, checked = false, attrs = {}) {
  return h("label", { class: "check" }, h("input", { type: "checkbox", name, checked, ...attrs }), h("span", {}, text));
}

/**
 * A button that runs `run()` (usually one mutation). While it runs it is disabled; a refusal is
 * shown in `box` in the server's own words. With `ask`, confirm() first.
 */
export function actButton(text, run, { box, ask, cls = "secondary", ...attrs } = {}) {
  const button = h("button", { type: "button", class: cls, ...attrs }, text);
  button.addEventListener("click", async () => {
    if (ask && !window.confirm(ask)) return;
    button.disabled = true;
    box?.replaceChildren();
    try {
      await run();
    } catch (error) {
      if (box) showError(box, error);
      else window.alert(error.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** A box for a form's or button's messages, read out when it changes. */
export const msgBox = () => h("div", { class: "form-msg", "aria-live": "polite" });

/** Full-width digits and separators typed by Chinese input methods, as plain ASCII; commas and 元 dropped. */
export function plainNumber(value) {
  return String(value ?? "")
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, ".")
    .replace(/[,，\s]/g, "")
    .replace(/(元|%|％|㎡|m²|平方米)$/u, "")
    .trim();
}

/** The value of an <input type="date"> as the start of that day, Beijing time. */
export const startOfDay = (value) => (value ? `${value}T00:00:00+08:00` : null);

/** "" -> null, for optional inputs. */
export const orNull = (value) => (value === "" || value === undefined ? null : value);


/** A row of submit + message box, for the end of a form. */
export function submitRow(text, attrs = {}) {
  return [h("div", { class: "actions" }, h("button", { type: "submit", ...attrs }, text)), msgBox()];
}


/** A form folded away under a summary line, so a long page stays easy to scan. */
export function fold(summary, form, open = false, can = null) {
  return h("details", { class: "fold write", open, dataset: can ? { can } : null }, h("summary", {}, summary), form);
}

/** Show `el` only when the server's viewerCan says the viewer may use it. */
export function allow(el, can) {
  el.classList.toggle("not-allowed", !can);
  return el;
}

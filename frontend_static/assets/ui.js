// Small DOM helpers shared by every page: building elements, the page header with the
// large-type switch, messages, and form handling that shows the server's own error texts.
import { logout, UserErrors } from "./api.js";
import { label } from "./format.js";

/** h("p", {class: "x"}, "text", child) -> element. Text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

const LARGE = "consult.largeType";

/** Apply the saved large-type choice at once, before anything is drawn. */
export function applyLargeType() {
  document.documentElement.classList.toggle("large-type", localStorage.getItem(LARGE) === "1");
}

function largeTypeSwitch() {
  const on = () => document.documentElement.classList.contains("large-type");
  const button = h("button", { type: "button", class: "switch", "aria-pressed": String(on()), id: "large-type" }, "大字模式");
  button.addEventListener("click", () => {
    const next = !on();
    document.documentElement.classList.toggle("large-type", next);
    localStorage.setItem(LARGE, next ? "1" : "0");
    button.setAttribute("aria-pressed", String(next));
  });
  return button;
}

/** The header every page shares: home link, who is signed in, sign-out, the large-type switch. */
export function header(me, links = []) {
  const who = me
    ? h("span", { class: "who" }, me.displayName, me.roles.includes("RESIDENT") ? "" : `（${me.roles.map((r) => label("Role", r)).join("、")}）`)
    : null;
  const out = me
    ? h("button", {
        type: "button", class: "link", onclick: async () => {
          await logout();
          location.href = "/";
        },
      }, "退出")
    : h("a", { href: "/login" }, "工作人员登录");
  // The pages offered are the server's answer (viewerCan), not a guess from the roles.
  const can = me?.can ?? {};
  return h("header", { class: "top" },
    h("a", { href: "/", class: "home" }, "基层协商"),
    h("nav", { "aria-label": "主菜单" },
      can.openConsole ? h("a", { href: "/console" }, "组织方工作台") : null,
      can.openBoard ? h("a", { href: "/board" }, "监督看板") : null,
      can.openParty ? h("a", { href: "/party" }, "参与方工作台") : null,
      can.openOverview ? h("a", { href: "/overview" }, "协商成效") : null,
      ...links),
    h("span", { class: "account" }, who, out),
    largeTypeSwitch());
}

/** Put the header at the top of <body> and return the <main>. */
export function mountPage(me, links) {
  applyLargeType();
  const main = document.querySelector("main");
  // One header: drawn again (who is signed in changed), or over the server's outline of it.
  document.querySelector("body > header.top")?.remove();
  document.body.prepend(header(me, links));
  return main;
}

/** A status line read out by screen readers. kind: "ok" | "error" | "info". */
export function message(text, kind = "info") {
  return h("p", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/**
 * Show an error (UserErrors, ApiError or anything) in `box`, in the user's words. Several
 * UserErrors are listed one per line, so that none of them is missed.
 */
export function showError(box, error) {
  const errors = error instanceof UserErrors ? error.errors : [];
  if (errors.length > 1) {
    box.replaceChildren(h("div", { class: "msg msg-error", role: "alert" },
      h("p", {}, `有 ${errors.length} 处要修改：`),
      h("ul", {}, errors.map((e) => h("li", {}, e.message)))));
    return errors;
  }
  const text = error instanceof Error ? error.message : String(error);
  box.replaceChildren(message(text || "没有成功，请再试一次。", "error"));
  return errors;
}

/**
 * Mark `control` as wrong and put `text` beside it, under its label, tied to it with
 * aria-describedby so that a screen reader says it when the control has focus.
 */
export function fieldError(control, text) {
  control.setAttribute("aria-invalid", "true");
  if (!control.id) control.id = `f${++fieldSeq}`;
  const id = `${control.id}-error`;
  const existing = document.getElementById(id);
  if (existing) {
    existing.append(h("br"), text);
    return;
  }
  const note = h("p", { class: "field-error", id, dataset: { for: control.id } }, text);
  const label = control.closest(".field")?.querySelector(":scope > label");
  if (label) label.after(note);
  else (control.closest("label") ?? control).after(note);
  const described = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  control.setAttribute("aria-describedby", [id, ...described].join(" "));
}

/** Take away the marks and messages fieldError put in `form`. */
export function clearFieldErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  for (const note of form.querySelectorAll(".field-error")) {
    const control = document.getElementById(note.dataset.for);
    const rest = (control?.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && id !== note.id);
    if (control && rest.length) control.setAttribute("aria-describedby", rest.join(" "));
    else control?.removeAttribute("aria-describedby");
    note.remove();
  }
}

/** The control an error's field path names: the element a page put on the error, else the path's last part. */
function controlOf(form, e) {
  if (e.element instanceof Element) return e.element;
  // The field's path, from its last name back: `photoIds.2` is the photoIds control.
  for (const name of (e.field ?? "").split(".").reverse()) {
    if (!name || /^\d+$/.test(name)) continue;
    const input = form.elements.namedItem(name);
    return input instanceof Element ? input : null;
  }
  return null;
}

/**
 * Wire a <form>: on submit, run `action(values)`; while it runs the submit button is disabled,
 * errors are shown in the form's .form-msg, success text from `done(result)` likewise. Every
 * error that names a field (by its path, or by the `element` a page put on it) is also shown
 * beside that field, its `fieldMessage` if it has one. With `focusFirst`, the first of those
 * fields gets the focus.
 */
export function onSubmit(form, action, done, { focusFirst = false } = {}) {
  const box = form.querySelector(".form-msg") ?? form.appendChild(h("div", { class: "form-msg", "aria-live": "polite" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    if (button?.disabled) return;
    if (button) button.disabled = true;
    box.replaceChildren();
    clearFieldErrors(form);
    try {
      const result = await action(formValues(form), event.submitter);
      const text = done ? done(result) : null;
      if (text) box.replaceChildren(message(text, "ok"));
    } catch (error) {
      const marked = [];
      for (const e of showError(box, error)) {
        const control = controlOf(form, e);
        if (!control) continue;
        fieldError(control, e.fieldMessage ?? e.message);
        marked.push(control);
      }
      if (focusFirst) marked[0]?.focus();
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") values[el.name] = el.checked;
    else if (el.type === "radio") { if (el.checked) values[el.name] = el.value; }
    else if (el.tagName === "SELECT" && el.multiple) values[el.name] = [...el.selectedOptions].map((o) => o.value);
    else values[el.name] = el.value.trim();
  }
  return values;
}

/** A labelled input. `input` attrs go on the control; hint text is tied to it for screen readers. */
let fieldSeq = 0;
export function field(label, control, hint) {
  const id = control.id || `f${++fieldSeq}`;
  control.id = id;
  const hintEl = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

export function select(name, options, attrs = {}) {
  return h("select", { name, ...attrs },
    Object.entries(options).map(([value, text]) => h("option", { value }, text)));
}

/** A section with a heading; returns [section, body] so the body can be refilled. */
export function section(title, id, ...intro) {
  const body = h("div", { class: "section-body" });
  const el = h("section", { id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...intro, body);
  return [el, body];
}

/** Run `fn` at most once per `ms`, after the last call. */
export function debounce(fn, ms = 250) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Global ID of the path's last segment, e.g. /c/<id>. */
export function pathId(prefix) {
  const rest = location.pathname.slice(prefix.length).split("/")[0];
  return rest ? decodeURIComponent(rest) : null;
}

/** Replace `el`'s children; null, undefined and false are left out, as h() does (the DOM's own
 * replaceChildren and append would print them as the words "null" and "undefined"). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** Put `children` into `parent` in order, touching the DOM only when the order differs (moving a node drops its focus). */
export function syncChildren(parent, children) {
  const current = [...parent.children];
  if (current.length === children.length && current.every((el, i) => el === children[i])) return;
  parent.replaceChildren(...children);
}

/**
 * Refill a <select> with [value, text] pairs, only when they changed, keeping the current
 * choice when it is still offered. `placeholder` adds a first option with the value "".
 */
export function fillSelect(sel, entries, placeholder = null) {
  const pairs = placeholder === null ? entries : [["", placeholder], ...entries];
  const signature = JSON.stringify(pairs);
  if (sel.dataset.options === signature) return;
  const keep = sel.value;
  sel.replaceChildren(...pairs.map(([value, text]) => h("option", { value }, text)));
  sel.dataset.options = signature;
  if (pairs.some(([value]) => value === keep)) sel.value = keep;
}

// 工作人员登录: organizers, CPPCC members and party representatives sign in with a password.
import { mutate, viewer } from "./api.js";
import { label } from "./format.js";
import { field, h, mountPage, onSubmit } from "./ui.js";

/** Only a path on this site, never another site: ?next=//evil.example stays home. */
function nextPath(me) {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Resolve it as the browser would (tabs and backslashes included); only this site's own pages count.
  try {
    const url = new URL(next, location.origin);
    if (next && url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch {
    // not a URL at all: go to the default page
  }
  if (me?.can.openConsole) return "/console";
  if (me?.can.openBoard) return "/board";
  return "/";
}

const me = await viewer().catch(() => null);
const main = mountPage(me);
document.title = "工作人员登录 · 基层协商";
const form = h("form", { class: "card", novalidate: true },
  field("用户名", h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "off" })),
  field("密码", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "登录")));
main.replaceChildren(
  h("h1", {}, "工作人员登录"),
  h("p", { class: "muted" }, `${label("Role", "ORGANIZER")}、${label("Role", "CPPCC_MEMBER")}和${label("Role", "PARTY_REP")}在这里登录。${label("Role", "RESIDENT")}请用邀请条上的二维码或邀请码进入，不需要密码。`),
  me ? h("p", { class: "msg msg-info" }, `您已登录为 ${me.displayName}。`, h("a", { href: nextPath(me) }, "继续")) : null,
  form);
onSubmit(form, async ({ username, password }) => {
  await mutate("login", { username, password }, "viewer { id }");
  location.assign(nextPath(await viewer()));
});

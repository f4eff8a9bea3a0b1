// 组织方工作台: /console lists and creates; /console/<id> runs one consultation.
// Only organizers and admins get past the door; everyone else is pointed to the sign-in page.
import { viewer } from "./api.js";
import { mountBell } from "./bell.js";
import { label } from "./format.js";
import { h, message, mountPage, pathId } from "./ui.js";

const me = await viewer().catch(() => null);
const main = mountPage(me);
if (me?.can.openConsole) mountBell(me);
main.classList.add("wide", "console");

const allowed = Boolean(me?.can.openConsole);
if (!allowed) {
  const next = encodeURIComponent(location.pathname);
  main.replaceChildren(
    h("h1", {}, "组织方工作台"),
    message(`${me ? "" : "请先登录。"}这个页面只供${label("Role", "ORGANIZER")}和${label("Role", "ADMIN")}使用。`, "info"),
    h("p", {}, h("a", { href: `/login?next=${next}`, class: "button" }, me ? "换一个账号登录" : "去登录")));
} else {
  const id = pathId("/console/");
  try {
    if (id) await (await import("./console-case.js")).consultationPage(main, me, id);
    else await (await import("./console-home.js")).homePage(main, me);
  } catch (error) {
    main.replaceChildren(h("h1", {}, "组织方工作台"), message(error.message || "页面没有打开，请刷新再试。", "error"));
  }
}

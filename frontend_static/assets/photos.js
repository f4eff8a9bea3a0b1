// 随手拍: pick photos for a form, upload each one at once with its own progress bar, and show
// photos as thumbnails that open the full picture. The server judges, cleans (no GPS, no EXIF)
// and shrinks each photo; a form sends only the IDs it got back, in `photoIds`.
import { h } from "./ui.js";

export const MAX_PHOTOS = 6;
const MAX_BYTES = 10 * 1024 * 1024;
const UPLOAD = "mutation($file: Upload!) { uploadPhoto(file: $file) { photo { id phoneUrl url } errors { field code message } } }";

/** One file by the GraphQL multipart request spec; `progress(fraction)` as it goes up. */
function send(file, progress) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    body.append("operations", JSON.stringify({ query: UPLOAD, variables: { file: null } }));
    body.append("map", JSON.stringify({ 0: ["variables.file"] }));
    body.append("0", file, file.name || "photo");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/graphql");
    xhr.withCredentials = true;
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) progress(event.loaded / event.total); };
    xhr.onerror = () => reject(new Error("网络连接不上，照片没有传上去，请稍后再试。"));
    xhr.onload = () => {
      const payload = xhr.response?.data?.uploadPhoto;
      if (payload?.photo) resolve(payload.photo);
      else reject(new Error(payload?.errors?.[0]?.message || xhr.response?.errors?.[0]?.message || "照片没有传上去，请再试一次。"));
    };
    xhr.send(body);
  });
}

/**
 * A photo field for a form: a file picker (named photoIds, so the server's errors on photoIds
 * show beside it) and the photos picked so far, each with its progress and a 移除 button.
 * Returns { element, ids(), busy() }: the form sends ids() and waits while busy().
 */
export function photoField({ label = "照片（可选）", hint = "可拍照或从相册选，最多 6 张；位置等信息会自动去除。" } = {}) {
  const picked = []; // { id, status: "sending" | "ok" | "failed", item }
  const list = h("ul", { class: "photo-picks", "aria-live": "polite" });
  const input = h("input", { type: "file", name: "photoIds", accept: "image/jpeg,image/png,image/webp", multiple: true });
  const inputId = `photo-${Math.random().toString(36).slice(2, 8)}`;
  input.id = inputId;
  const hintEl = h("small", { id: `${inputId}-hint`, class: "hint" }, hint);
  input.setAttribute("aria-describedby", hintEl.id);

  function add(file) {
    const bar = h("progress", { max: 100, value: 0, "aria-label": `${file.name || "照片"} 上传进度` });
    const state = h("span", { class: "photo-state" }, "正在上传……");
    const entry = { id: null, status: "sending" };
    const remove = h("button", { type: "button", class: "secondary", "aria-label": `移除照片 ${file.name || ""}`.trim() }, "移除");
    const item = h("li", { class: "photo-pick" }, h("span", { class: "photo-name" }, file.name || "照片"), bar, state, remove);
    entry.item = item;
    remove.addEventListener("click", () => {
      picked.splice(picked.indexOf(entry), 1);
      item.remove();
    });
    picked.push(entry);
    list.append(item);
    if (!["image/jpeg", "image/png", "image/webp", ""].includes(file.type)) {
      entry.status = "failed";
      state.textContent = "只能上传 JPEG、PNG 或 WebP 格式的照片。";
      bar.remove();
      return;
    }
    if (file.size > MAX_BYTES) {
      entry.status = "failed";
      state.textContent = "照片太大，最大 10 MB。";
      bar.remove();
      return;
    }
    send(file, (fraction) => { bar.value = Math.round(fraction * 100); })
      .then((photo) => {
        entry.id = photo.id;
        entry.status = "ok";
        bar.replaceWith(h("img", { src: photo.phoneUrl, alt: `已上传的照片：${file.name || ""}`, class: "photo-thumb", loading: "lazy" }));
        state.textContent = "已上传";
      })
      .catch((error) => {
        entry.status = "failed";
        bar.remove();
        state.textContent = error.message;
        state.classList.add("field-error");
      });
  }

  input.addEventListener("change", () => {
    for (const file of input.files) {
      if (picked.filter((p) => p.status !== "failed").length >= MAX_PHOTOS) {
        list.append(h("li", { class: "field-error" }, `每项最多 ${MAX_PHOTOS} 张照片。`));
        break;
      }
      add(file);
    }
    input.value = "";
  });

  const element = h("div", { class: "field photo-field" }, h("label", { for: inputId }, label), input, hintEl, list);
  return {
    element,
    ids: () => picked.filter((p) => p.status === "ok").map((p) => p.id),
    busy: () => picked.some((p) => p.status === "sending"),
    clear: () => { picked.length = 0; list.replaceChildren(); },
  };
}

/** Waits for uploads still under way before a form is sent; throws if the viewer must wait. */
export function photoIdsOf(pickerField) {
  if (!pickerField) return null;
  if (pickerField.busy()) throw new Error("照片还在上传，请等上传完成后再提交。");
  const ids = pickerField.ids();
  return ids.length ? ids : null;
}

/** Thumbnails that open the full picture; nothing when there are none. (The phone-sized copy
 * is always at the picture's address plus /phone, so lists may ask for `url` alone.) */
export function photoStrip(photos, caption = "照片") {
  if (!photos?.length) return null;
  return h("ul", { class: "photo-strip", "aria-label": caption },
    photos.map((p, i) => h("li", {},
      h("a", { href: p.url, target: "_blank", rel: "noopener" },
        h("img", { src: p.phoneUrl ?? `${p.url}/phone`, alt: `${caption} ${i + 1}（点开看原图）`, loading: "lazy", class: "photo-thumb" })))));
}

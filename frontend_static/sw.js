// The resident page on a phone that has opened it before. Served at /sw.js for the /c/ pages
// only. The page and this build's scripts and style come from the phone itself, so a return
// visit on a weak network shows the vote at once (the page then draws what it kept from the
// last visit and asks the server for what is new). Nothing else passes through here: every
// read and every vote still goes to the server, and other pages are not touched.
// The server fills in BUILD and FILES; a new build changes this file, and the phone replaces
// its copy once no page of the old build is open.
const BUILD = "__BUILD__";
const FILES = __FILES__;
const KEPT = `consult-resident-${BUILD}`;
const SHELL = "/c/";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(KEPT).then((cache) => cache.addAll([SHELL, ...FILES])));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(
    names.filter((name) => name.startsWith("consult-resident-") && name !== KEPT).map((name) => caches.delete(name)))));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/c/")) {
    // Every /c/<id> is the same page; which consultation it shows is read from the address.
    event.respondWith(kept(SHELL, request));
  } else if (FILES.includes(url.pathname)) {
    event.respondWith(kept(url.pathname, request));
  }
});

/** This build's copy when the phone has it, else the network's (kept for next time when it is this build's). */
async function kept(key, request) {
  const cache = await caches.open(KEPT);
  const found = await cache.match(key);
  if (found) return found;
  const response = await fetch(request);
  if (response.ok && !response.redirected && key !== SHELL) await cache.put(key, response.clone());
  return response;
}

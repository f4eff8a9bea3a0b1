// The one way pages talk to the server: GraphQL over HTTP for reads and writes,
// and graphql-ws (from npm, served at /vendor) for live subscriptions.
// The session travels in the HttpOnly cookie set by login and redeemInvitation.
// graphql-ws is fetched only when the first subscription starts, after the page has drawn:
// on a slow phone the vote is on the screen before the live client has arrived.

/** A request that failed as a whole (network down, server error). */
export class ApiError extends Error {}

/** A mutation refused with UserErrors: `errors` are the payload's {field, code, message}. */
export class UserErrors extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("；"));
    this.errors = errors;
  }
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("网络连接不上，请检查网络后再试。");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError("服务器暂时没有回应，请稍后再试。");
  }
  if (body.errors?.length) throw new ApiError(body.errors[0].message || "请求没有成功，请稍后再试。");
  return body.data;
}

// Mutations whose input type is not simply <Name>Input.
const INPUT_TYPES = { openPoll: "PollIdInput", closePoll: "PollIdInput", archiveConsultation: "ArchiveInput" };

/** Run `name(input: $input)` and return its payload; throws UserErrors when the payload has any. */
export async function mutate(name, input, select = "") {
  const type = INPUT_TYPES[name] ?? name[0].toUpperCase() + name.slice(1) + "Input";
  const data = await gql(
    `mutation($input: ${type}!) { ${name}(input: $input) { ${select} errors { field code message } } }`,
    { input },
  );
  const payload = data[name];
  if (payload.errors.length) throw new UserErrors(payload.errors);
  return payload;
}

let client = null;
const reconnectListeners = new Set();

async function liveClient() {
  if (client) return client;
  const { createClient } = await import("/vendor/graphql-ws/dist/client.js");
  if (client) return client; // another subscription made it while the module arrived
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let connectedOnce = false;
  client = createClient({
    url: `${scheme}//${location.host}/graphql`,
    lazy: true,
    keepAlive: 20_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      connected: () => {
        // After a drop, what happened meanwhile is fetched again by whoever listens.
        if (connectedOnce) reconnectListeners.forEach((fn) => fn());
        connectedOnce = true;
        document.documentElement.dataset.live = "on";
      },
      closed: () => {
        document.documentElement.dataset.live = "off";
      },
    },
  });
  return client;
}

/** Subscribe; `onData` gets each result's data. Returns a function that unsubscribes. */
export function subscribe(query, variables, onData) {
  let stop = null;
  let stopped = false;
  liveClient().then((live) => {
    if (stopped) return;
    stop = live.subscribe(
      { query, variables },
      {
        next: (result) => result.data && onData(result.data),
        error: (error) => console.warn("subscription ended", error),
        complete: () => {},
      },
    );
  }).catch((error) => console.warn("live updates unavailable", error));
  return () => {
    stopped = true;
    stop?.();
  };
}

/** Call `fn` whenever the live connection comes back after a drop. */
export function onReconnect(fn) {
  reconnectListeners.add(fn);
}

export const VIEWER_CAN = "viewerCan { openConsole openBoard openParty createConsultation createParty createAccount grantRoles openOverview manageAreas }";

/** Who is signed in, or null; `can` is what the server lets them do outside any one consultation. */
export async function viewer() {
  const data = await gql(`{ viewer { id displayName roles ownPassword party { id name } } ${VIEWER_CAN} }`);
  return withCan(data);
}

/** The viewer of a query that also asked for VIEWER_CAN, with it as `can`; null when nobody is signed in. */
export function withCan(data) {
  return data.viewer ? { ...data.viewer, can: data.viewerCan } : null;
}

/** Where the resident page keeps, per consultation, what it last showed (see resident.js). */
export const KEPT_PAGE = "consult.page:";

/** Throw away every page kept on this phone: on sign-out, and when another session signs in. */
export function forgetKeptPages() {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith(KEPT_PAGE)) localStorage.removeItem(key);
  } catch {
    // storage switched off: nothing was kept
  }
}

export async function logout() {
  await gql("mutation { logout }");
  forgetKeptPages();
}

// With the reference graphql-ws client: one live subscription, then an operation that does not
// parse on the same socket. Prints {"bad": [messages]} when the bad one is refused, then
// {"live": seq} for the next live event, and exits; fails if the socket closes meanwhile.
// Usage: node bad-beside-live.mjs <ws-url> <consultation-id> <after-seq>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, id, after] = process.argv.slice(2);
let closed = null;
const client = createClient({
  url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0,
  on: { closed: (event) => { closed = event; } },
});
const live = "subscription($id: ID!, $after: Int) { consultationEvents(consultationId: $id, afterSeq: $after) { seq } }";
const timer = setTimeout(() => { console.error("timed out"); process.exit(2); }, 20000);
await new Promise((resolve, reject) => {
  client.subscribe({ query: live, variables: { id, after: Number(after) } }, {
    next: (message) => { console.log(JSON.stringify({ live: message.data.consultationEvents.seq })); resolve(); },
    error: (error) => reject(new Error(`live subscription failed: ${JSON.stringify(error?.reason ?? error)}`)),
    complete: () => reject(new Error("live subscription completed")),
  });
  client.subscribe({ query: "subscription {" }, {
    next: () => reject(new Error("the bad operation ran")),
    error: (errors) => console.log(JSON.stringify({ bad: Array.isArray(errors) ? errors.map((e) => e.message) : String(errors?.code) })),
    complete: () => {},
  });
});
clearTimeout(timer);
if (closed) { console.error("socket closed"); process.exit(3); }
await client.dispose();

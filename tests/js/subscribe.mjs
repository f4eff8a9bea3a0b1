// Subscribes with the reference graphql-ws client and prints each event's seq as a JSON line.
// Usage: node subscribe.mjs <ws-url> <consultation-id> <after-seq> <count>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, id, after, count] = process.argv.slice(2);
const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
let seen = 0;
const query = "subscription($id: ID!, $after: Int) { consultationEvents(consultationId: $id, afterSeq: $after) { seq kind } }";
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("timed out")), 15000);
  const dispose = client.subscribe(
    { query, variables: { id, after: Number(after) } },
    {
      next: (message) => {
        if (message.errors) { reject(new Error(JSON.stringify(message.errors))); return; }
        console.log(JSON.stringify(message.data.consultationEvents));
        seen += 1;
        if (seen >= Number(count)) { clearTimeout(timer); dispose(); resolve(); }
      },
      error: (error) => { clearTimeout(timer); reject(error); },
      complete: () => { clearTimeout(timer); resolve(); },
    },
  );
});
await client.dispose();

// Runs graphql-http's audit of the GraphQL-over-HTTP spec against a served consult app and
// prints one JSON line per audit: {id, name, status ("ok" | "warn" | "error"), reason}.
// Usage: node audit-http.mjs <http-url-of-/graphql>
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") line.reason = result.reason;
  console.log(JSON.stringify(line));
}

// GraphiQL for this server's API, started from our own page (graphiql.html) so that nothing comes
// from another site: React and GraphiQL are the pinned browser builds under /vendor, which have
// already run when this module does. Queries and mutations go over HTTP to /graphql; subscriptions
// go over the WebSocket at the same address with the graphql-ws client the pages use.
import { createClient } from "/vendor/graphql-ws/dist/client.js";

/* global React, ReactDOM, GraphiQL */

const endpoint = new URL("/graphql", location.href);
const socketUrl = new URL(endpoint);
socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

// What GraphiQL shows on a first visit; after that it keeps the last query in the browser.
const START = `# 基层协商 GraphQL 接口 · The consult GraphQL API
# Ctrl-Enter 运行 runs it · 左上角的书本图标：文档 docs
# 以谁的身份 Who asks: 本浏览器登录的账号 this browser's
# sign-in, 或 or Headers {"Authorization": "Bearer <token>"}
{
  consultations(first: 5) {
    edges {
      node {
        id
        title
        stage
      }
    }
  }
}
`;

// One fetcher per Authorization header typed in the Headers editor: HTTP requests carry the header
// themselves, and a WebSocket hands it over in connection_init (a browser cannot set headers on
// one), so a new token needs its own socket. Without one, the browser's session cookie speaks.
const fetchers = new Map();

function fetcherFor(authorization) {
  if (!fetchers.has(authorization)) {
    const wsClient = createClient({
      url: socketUrl.href,
      lazy: true,
      connectionParams: authorization ? { Authorization: authorization } : {},
    });
    fetchers.set(authorization, GraphiQL.createFetcher({ url: endpoint.href, wsClient }));
  }
  return fetchers.get(authorization);
}

function fetcher(params, options) {
  const headers = options?.headers || {};
  const authorization = headers.Authorization || headers.authorization || "";
  return fetcherFor(String(authorization))(params, options);
}

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: START,
    isHeadersEditorEnabled: true,
    // Tokens typed into Headers stay in this tab, never in the browser's storage.
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
  }),
);

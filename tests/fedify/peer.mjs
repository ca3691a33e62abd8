// A microblog account played by Fedify (https://fedify.dev), a third-party ActivityPub
// framework, for tests/fedify_peer.rs: `alice` follows a Guild community and receives what
// the community sends, with Fedify verifying every HTTP signature and parsing every document.
//
// Environment:
//   FEDIFY_PORT  the loopback port to serve on (as http://localhost:FEDIFY_PORT)
//   GROUP_ID     the Guild Group actor's URL, e.g. http://localhost:1234/c/practice
//   GROUP_INBOX  its inbox, e.g. http://localhost:1234/c/practice/inbox
//   EXIT_WITH_STDIN=1  exit when stdin closes (so a killed parent leaves nothing behind)
//
// stdout, one event a line:
//   READY                                 serving; the Follow is sent next
//   FOLLOW_SENT <follow id>               Guild answered the Follow's POST with 2xx
//   INBOX <status> <type> <id> <keyId>    a POST to an inbox and Fedify's answer to it
//   ACCEPTED <follow id>                  an Accept of alice's Follow
//   ANNOUNCE <announce id> <object id>    an Announce; the object is the announced Create's
//                                         object, or the announced object itself
//   OBJECT_TYPE <announce id> <type...>   the types Fedify parsed: e.g. `Create Page`, `Page`
// stderr: `REJECTED ...` for every inbox POST Fedify refused, with Fedify's reason in the
// `FEDIFY ...` log lines around it; `FOLLOW_FAILED ...` if Guild refused the Follow.
//
// Run by hand: `npm ci` in tests/fedify, then
//   FEDIFY_PORT=8900 GROUP_ID=… GROUP_INBOX=… node tests/fedify/peer.mjs

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import {
  Accept,
  Announce,
  Create,
  Endpoints,
  Follow,
  MemoryKvStore,
  Person,
  createFederation,
  generateCryptoKeyPair,
} from "@fedify/fedify";
import { configure } from "@logtape/logtape";

const port = Number(process.env.FEDIFY_PORT);
const groupId = process.env.GROUP_ID;
const groupInbox = process.env.GROUP_INBOX;
if (!port || !groupId || !groupInbox) {
  console.error("FEDIFY_PORT, GROUP_ID and GROUP_INBOX must be set");
  process.exit(2);
}
const origin = `http://localhost:${port}`;

const say = (line) => process.stdout.write(`${line}\n`);
const complain = (line) => process.stderr.write(`${line}\n`);

// Fedify says why it refuses a request only in its logs (signature failures at debug level):
// pass warnings and errors on, and the debug lines of signature checking.
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr(record) {
      const category = record.category.join(".");
      const signatures = category === "fedify.sig.http" ||
        category === "fedify.federation.inbox";
      const loud = record.level === "warning" || record.level === "error" ||
        record.level === "fatal";
      const message = record.message
        .map((part, i) => (i % 2 === 0 ? part : inspect(part)))
        .join("");
      if (signatures && message.startsWith("HTTP Signatures are verified")) {
        say(`SIGNATURE_VERIFIED ${record.properties.recipient ?? "(shared inbox)"}`);
      }
      // Fedify warns on every send that alice has no Ed25519 key for object proofs; an
      // RSA key (HTTP and LD signatures) is what the microblog fediverse uses.
      if (message.includes("without a proof")) return;
      if (loud || (signatures && message.startsWith("Failed to verify"))) {
        complain(`FEDIFY ${record.level} ${category}: ${message}`);
      }
    },
  },
  loggers: [
    { category: ["fedify"], sinks: ["stderr"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

function inspect(value) {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? String(value);
  if (value instanceof URL) return value.href;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // Guild runs on loopback, which Fedify refuses to fetch from by default.
  allowPrivateAddress: true,
  // Said out loud: every inbox POST must carry a valid HTTP signature.
  skipSignatureVerification: false,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice on Fedify",
      summary: "A microblog account played by Fedify.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === "alice" ? [keyPair] : []
  );

const followId = new URL(`/follows/${crypto.randomUUID()}`, origin);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (ctx, accept) => {
    let accepted = accept.objectId?.href;
    const object = await accept.getObject({ suppressError: true });
    if (object instanceof Follow) accepted = object.id?.href ?? accepted;
    if (accepted === followId.href) {
      say(`ACCEPTED ${accepted} by ${accept.actorId?.href}`);
    } else {
      say(`ACCEPT_OTHER ${accepted}`);
    }
  })
  .on(Announce, async (ctx, announce) => {
    const object = await announce.getObject();
    const types = [typeName(object)];
    let announced = object;
    if (object instanceof Create) {
      announced = await object.getObject();
      types.push(typeName(announced));
    }
    say(`ANNOUNCE ${announce.id?.href} ${announced?.id?.href ?? announce.objectId?.href}`);
    say(`OBJECT_TYPE ${announce.id?.href} ${types.join(" ")}`);
    const name = announced?.name?.toString();
    if (name) say(`OBJECT_NAME ${announce.id?.href} ${name}`);
  })
  .onError((ctx, error) => {
    complain(`INBOX_ERROR ${error?.stack ?? error}`);
  });

function typeName(object) {
  if (object == null) return "null";
  return object.constructor?.name ?? "unknown";
}

// Fedify 1.5 has no Node integration of its own: its handler speaks fetch's Request and
// Response, which Node 20 has; this is the few lines between them and node:http.
const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const url = new URL(req.url, `http://${req.headers.host ?? `localhost:${port}`}`);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(url, {
      method: req.method,
      headers,
      body: hasBody ? body : undefined,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    const answer = Buffer.from(await response.arrayBuffer());
    if (req.method === "POST") reportPost(url, headers, body, response.status, answer);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(answer);
  } catch (error) {
    complain(`REJECTED 500 ${req.method} ${req.url}: ${error?.stack ?? error}`);
    res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal error in the Fedify peer.");
  }
});

function reportPost(url, headers, body, status, answer) {
  let activity = {};
  try {
    activity = JSON.parse(body.toString("utf8"));
  } catch {
    // Fedify says so itself.
  }
  const keyId = /keyId="([^"]*)"/.exec(headers.get("signature") ?? "")?.[1] ?? "(unsigned)";
  say(`INBOX ${status} ${activity.type} ${activity.id} ${keyId}`);
  if (status >= 400) {
    complain(
      `REJECTED ${status} POST ${url.pathname}: ${answer.toString("utf8")}\n` +
        `  Signature: ${headers.get("signature")}\n` +
        `  Content-Type: ${headers.get("content-type")}\n` +
        `  Digest: ${headers.get("digest")}\n` +
        `  Date: ${headers.get("date")}\n` +
        `  body: ${body.toString("utf8")}`,
    );
  }
}

function stop() {
  server.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (process.env.EXIT_WITH_STDIN === "1") {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}

await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
say("READY");

const ctx = federation.createContext(new URL(origin), undefined);
const follow = new Follow({
  id: followId,
  actor: ctx.getActorUri("alice"),
  object: new URL(groupId),
});
try {
  // Signed by Fedify with alice's key (HTTP signature, and an LD signature in the body).
  await ctx.sendActivity(
    { identifier: "alice" },
    { id: new URL(groupId), inboxId: new URL(groupInbox) },
    follow,
  );
  say(`FOLLOW_SENT ${followId.href}`);
} catch (error) {
  complain(`FOLLOW_FAILED ${error?.stack ?? error}`);
}

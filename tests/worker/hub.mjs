// Starts the built hub worker (hub/build, from `cargo xtask build worker`) in
// workerd through Miniflare's Node API, listening on a loopback port so that
// any real client (Node fetch, the `eventsource` package, Chromium) can
// reach it. Durable Object storage persists in `persistDir` when given, so
// a second start with the same directory is a restart of the same objects.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { fileURLToPath } from "node:url";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";

const root = fileURLToPath(new URL("../..", import.meta.url));

export const PUBLISH_TOKEN = "test-publish-token";

/**
 * Miniflare's options for a worker that worker-build wrote into `dir`
 * (relative to the repository): its module, its wasm, the date the tests
 * pin, and no `request.cf` (which Miniflare would fetch from the network).
 */
export function workerBuild(dir) {
  return {
    rootPath: root,
    modulesRoot: dir,
    modules: [
      { type: "ESModule", path: `${dir}/index.js` },
      { type: "CompiledWasm", path: `${dir}/index_bg.wasm` },
    ],
    compatibilityDate: "2026-11-01",
    cf: false,
  };
}

/**
 * Starts the hub. `vars` are its vars and secrets, over these defaults:
 * PUBLISH_TOKEN, ALLOWED_ORIGINS "*", HEARTBEAT_MS "15000", FANOUT from
 * $SSEKIT_FANOUT, and two that suit tests rather than production:
 * DEMO "1" (the demo routes /ticks and /chat exist) and STATS_RATE
 * "100000/min" (tests poll /stats far more often than the hub's default
 * 60/min lets one caller). A var given as `null` (or `undefined`) is left
 * unset: `{ DEMO: null }` starts a hub as deployed, without demo routes.
 */
export async function startHub({ persistDir, vars = {} } = {}) {
  const bindings = {
    PUBLISH_TOKEN,
    ALLOWED_ORIGINS: "*",
    HEARTBEAT_MS: "15000",
    DEMO: "1",
    STATS_RATE: "100000/min",
    // SSEKIT_FANOUT=streams runs the tests against the other fan-out.
    ...(process.env.SSEKIT_FANOUT ? { FANOUT: process.env.SSEKIT_FANOUT } : {}),
    ...vars,
  };
  for (const [name, value] of Object.entries(bindings)) {
    if (value === null || value === undefined) delete bindings[name];
  }
  const options = convertV4MiniflareOptions({
    ...workerBuild("hub/build"),
    durableObjects: {
      CHANNELS: { className: "Channel", useSQLite: true },
      // Rate-limit counters (STATS_RATE, RELAY_<NAME>_RATE).
      LIMITS: { className: "Limiter", useSQLite: true },
    },
    // Miniflare 5: storage lives under this directory (in memory without it).
    ...(persistDir ? { resourcePersistencePath: persistDir } : {}),
    bindings,
    host: "127.0.0.1",
    port: 0,
  });
  const mf = new Miniflare(options);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    mf,
    url,
    async stop() {
      await mf.dispose();
    },
  };
}

/**
 * POSTs `body` (an object, sent as JSON, or a raw string) to a channel with
 * the publish token (`token`: another one, or null for none). Returns the
 * status and the JSON answer; callers assert on them.
 */
export async function publish(base, channel, body, token = PUBLISH_TOKEN) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/channels/${channel}/events`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * The channel's `GET …/stats` answer (`subscribers`, …). `token`: sent as
 * `Authorization: Bearer` (a hub with SUBSCRIBE_TOKEN or a JWT key wants
 * one; PUBLISH_TOKEN is good for every channel); `headers`: more headers
 * (say `CF-Connecting-IP`, which the hub's rate limits key on).
 */
export async function channelStats(base, channel, { token, headers = {} } = {}) {
  const all = { ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  return (await fetch(`${base}/channels/${channel}/stats`, { headers: all })).json();
}

// JSON Web Tokens, minted here the way an application's backend would, so
// the tests hold the hub to the JWS rules (RFC 7515/7518) rather than to a
// library's leniency.

const base64url = (bytes) => Buffer.from(bytes).toString("base64url");

/**
 * A compact JWT: `header` and `claims` as base64url JSON, and
 * `signer(signingInput)` (the "header.payload" string) returning the
 * signature's bytes (or a string, taken as UTF-8). Any header goes, so a
 * test can forge what an attacker would: `alg: "none"`, HS512, ...
 */
export function compactJwt(header, claims, signer) {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(signer(input))}`;
}

/** An HS256 JWT of `claims`, keyed with `secret`'s UTF-8 bytes (the hub's JWT_SECRET). */
export function hs256(claims, secret) {
  return compactJwt({ alg: "HS256", typ: "JWT" }, claims, (input) =>
    createHmac("sha256", secret).update(input).digest(),
  );
}

/**
 * An ES256 JWT of `claims`, signed with a P-256 private key (PEM): the
 * signature is R || S, 64 bytes, as JWS wants (not DER).
 */
export function es256(claims, privateKey) {
  return compactJwt({ alg: "ES256", typ: "JWT" }, claims, (input) =>
    sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }),
  );
}

/** A fresh P-256 key pair as PEM: `privateKey` (PKCS#8), `publicKey` (SPKI, what JWT_PUBLIC_KEY takes). */
export function es256Keys() {
  return generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

/** Seconds since the epoch, `offset` seconds from now: a JWT `exp`. */
export const inSeconds = (offset) => Math.floor(Date.now() / 1000) + offset;

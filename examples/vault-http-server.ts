/**
 * Vault's HTTP API in front of a vaultlet engine, on `node:http` only.
 *
 * `createVaultHttpServer(engine)` returns a `node:http` server that answers `/v1/<path>` the way a
 * Vault server does, so Vault clients (node-vault, the `vault` CLI with `VAULT_ADDR`, curl with the
 * payloads of Vault's guides) talk to your process without knowing the difference:
 *
 * - the token comes from `X-Vault-Token` (or `Authorization: Bearer <token>`);
 * - `GET` reads, `POST`/`PUT` write (the engine decides create or update), `DELETE` deletes,
 *   `LIST` (or `GET ?list=true`) lists, `PATCH` patches;
 * - answers are Vault's response envelope (200), or 204 when there is nothing to say;
 * - `X-Vault-Wrap-TTL` wraps the response (Vault's response wrapping): only `wrap_info` comes back;
 * - `sys/health`, `sys/init`, `sys/seal-status` and `sys/leader` (no token needed) answer as an
 *   initialized, unsealed, single Vault node without HA does; `sys/init`, `sys/seal`,
 *   `sys/unseal`, `sys/step-down` and `sys/auth` writes are refused with a 400 saying why (an
 *   embedded engine has no seal, and one auth method: tokens);
 * - errors are `{"errors": ["…"]}` with the status of the `VaultletError` (400, 403, 404, 405, 500,
 *   503); anything unexpected is a 500 whose message is not echoed. The server's own errors (bad
 *   JSON, unknown method or path) never quote the request: a body may hold a password.
 *
 * The server never logs. Run it directly for a local dev server:
 *
 * ```sh
 * VAULTLET_PORT=8200 npx tsx examples/vault-http-server.ts
 * export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN="$(cat .vaultlet-root-token)"
 * vault secrets enable database
 * ```
 *
 * @module
 */
import { chmod, writeFile } from "node:fs/promises";
import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { pathToFileURL } from "node:url";
import { Engine, MemoryStorage, VaultletError, type Operation, type RequestData, type Response } from "../src/index.js";

/** Options of {@link createVaultHttpServer}. */
export interface VaultHttpServerOptions {
  /** The largest request body accepted, in bytes (default 1 MiB); larger bodies get a 413. */
  maxBodyBytes?: number;
  /**
   * Called with errors that are not `VaultletError`s (bugs, driver crashes) before the server
   * answers 500 with a generic message. Hand it to your logger; vaultlet's own errors never reach it.
   */
  onUnexpectedError?: (error: unknown) => void;
}

/** An error the HTTP layer itself answers with (bad JSON, body too large, unknown method). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the server needs of an HTTP request, whether node:http parsed it or the LIST fallback did. */
interface HttpRequest {
  method: string | undefined;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as text; rejects with a 413 `HttpError` past `limit` bytes. */
  body(limit: number): Promise<string>;
}

/** An answer: a status and a JSON body, or no body (204). */
interface Reply {
  status: number;
  body?: unknown;
}

/** A request translated from HTTP into the engine's terms. */
interface EngineCall {
  /** `"write"` lets the engine choose create or update, as Vault does for POST and PUT. */
  operation: Operation | "write";
  path: string;
  token: string | undefined;
  data: RequestData;
  /** From `X-Vault-Wrap-TTL`: wrap the response behind a single-use token valid this long. */
  wrapTtl: string | undefined;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const API_PREFIX = "/v1/";
const TRUE_VALUES = new Set(["1", "t", "T", "true", "TRUE", "True"]);

/**
 * Creates a `node:http` server that serves `engine` over Vault's HTTP API. Call `listen` on it
 * yourself (bind to loopback, or put TLS in front: the server speaks plain HTTP).
 *
 * @example
 * ```ts
 * const server = createVaultHttpServer(engine);
 * server.listen(8200, "127.0.0.1");
 * ```
 */
export function createVaultHttpServer(engine: Engine, options: VaultHttpServerOptions = {}): Server {
  const answer = (request: HttpRequest): Promise<Reply> => handle(engine, request, options);
  const server = createServer((req, res) => {
    void answer(fromIncoming(req)).then((reply) => writeReply(res, reply));
  });
  server.on("clientError", (error: ParseError, socket: Duplex) => answerUnparsed(error, socket, answer));
  return server;
}

/** Serves one request; every failure becomes Vault's `{"errors": [...]}` reply. */
async function handle(engine: Engine, request: HttpRequest, options: VaultHttpServerOptions): Promise<Reply> {
  try {
    return await serve(engine, request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof VaultletError || error instanceof HttpError) return { status: error.status, body: { errors: [error.message] } };
    reportUnexpected(options, error);
    // Unknown errors may carry anything (SQL, connection strings): their text is never sent.
    return { status: 500, body: { errors: ["internal error"] } };
  }
}

/** Hands `error` to the host's hook; a throwing hook must not take the server down. */
function reportUnexpected(options: VaultHttpServerOptions, error: unknown): void {
  try {
    options.onUnexpectedError?.(error);
  } catch {
    // The hook is the host's logger: nothing better to do with its failure than to go on answering.
  }
}

async function serve(engine: Engine, request: HttpRequest, maxBodyBytes: number): Promise<Reply> {
  const url = parseUrl(request.url);
  if (!url.pathname.startsWith(API_PREFIX)) throw new HttpError(404, "no API at this path: vaultlet serves /v1/<path>");
  const path = decodePath(url.pathname.slice(API_PREFIX.length)).replace(/\/+$/, "");
  const node = nodeStatus(engine, path, request.method, url.searchParams);
  if (node) return node;
  const operation = operationOf(request.method, url.searchParams);
  const body = parseJsonBody(await request.body(maxBodyBytes));
  const call: EngineCall = {
    operation,
    path,
    token: tokenOf(request.headers),
    data: { ...queryData(operation, url.searchParams), ...body },
    wrapTtl: wrapTtlOf(request.headers),
  };
  const reply = replyOf(await dispatch(engine, call), path);
  return reply.status === 204 && revokesInBackground(path, call.data) ? { status: 202 } : reply;
}

/** Vault answers 202 Accepted when a revocation was asked with `sync: false` (it runs in the background). */
function revokesInBackground(path: string, data: Record<string, unknown>): boolean {
  const asked = data.sync === false || data.sync === "false";
  return asked && /^sys\/(leases\/)?revoke(-prefix|-force)?(\/|$)/.test(path);
}

function dispatch(engine: Engine, { operation, path, token, data, wrapTtl }: EngineCall): Promise<Response> {
  const options = wrapTtl === undefined ? {} : { wrapTtl };
  // An absent token goes to the engine as "", which it refuses with 403 like Vault does.
  if (operation === "write") return wrapTtl === undefined ? engine.write(token ?? "", path, data) : engine.write(token ?? "", path, data, options);
  return engine.request({ token: token ?? "", operation, path, data, ...options });
}

/** `X-Vault-Wrap-TTL` (the engine checks it is a duration); `X-Vault-Wrap-Format: jwt` is refused. */
function wrapTtlOf(headers: IncomingHttpHeaders): string | undefined {
  if (headers["x-vault-wrap-format"] === "jwt") {
    throw new HttpError(400, "X-Vault-Wrap-Format jwt is not supported: vaultlet's wrapping tokens are plain tokens");
  }
  const header = headers["x-vault-wrap-ttl"];
  return typeof header === "string" && header.trim() !== "" ? header.trim() : undefined;
}

// ── The node's own status ───────────────────────────────────────────────────────────────────────
// Vault answers these outside its logical backends, without a token: what the node is (initialized,
// sealed, HA). An embedded engine is one node without HA, initialized by its host and never sealed.

/** What vaultlet reports as its `version` to clients that probe. */
const VERSION = "vaultlet";

/** Writes a Vault server accepts that make no sense for an embedded engine, with the reason. */
const REFUSED_WRITES: ReadonlyArray<[RegExp, string]> = [
  [/^sys\/(seal|unseal)$/, "vaultlet embeds no seal: the engine is unsealed while its host runs it, and its storage is encrypted with the host's key"],
  [/^sys\/step-down$/, "vaultlet has no HA cluster to step down from: every engine on the storage serves"],
  [/^sys\/init$/, "vaultlet embeds no seal: the host initializes the engine (engine.initialize()), and this one is initialized"],
  [/^sys\/auth(\/|$)/, "vaultlet has one auth method, token (auth/token/): enabling or tuning others is not supported"],
];

/** The answer of a node-status path, or of a refused write; `undefined` for every other request. */
function nodeStatus(engine: Engine, path: string, method: string | undefined, query: URLSearchParams): Reply | undefined {
  const reading = method === "GET" || method === "HEAD";
  if (reading && path === "sys/health") return health(engine, query);
  if (reading && path === "sys/init") return { status: 200, body: { initialized: engine.initialized } };
  if (reading && path === "sys/seal-status") return { status: 200, body: sealStatus(engine) };
  if (reading && path === "sys/leader") return { status: 200, body: LEADER };
  if (method !== "POST" && method !== "PUT" && method !== "DELETE") return undefined;
  const refused = REFUSED_WRITES.find(([pattern]) => pattern.test(path));
  if (!refused) return undefined;
  const reason = path === "sys/init" && !engine.initialized ? "vaultlet embeds no seal: the host initializes the engine (engine.initialize())" : refused[1];
  return { status: 400, body: { errors: [reason] } };
}

/** `sys/seal-status` of an unsealed node with a 1-of-1 Shamir seal, as Vault's fields. */
function sealStatus(engine: Engine): Record<string, unknown> {
  return {
    type: "shamir",
    initialized: engine.initialized,
    sealed: false,
    t: 1,
    n: 1,
    progress: 0,
    nonce: "",
    version: VERSION,
    build_date: "",
    migration: false,
    recovery_seal: false,
    storage_type: "vaultlet",
  };
}

/** `sys/leader` of a Vault node without HA: Vault answers its zero values. */
const LEADER = {
  ha_enabled: false,
  is_self: false,
  active_time: "0001-01-01T00:00:00Z",
  leader_address: "",
  leader_cluster_address: "",
  performance_standby: false,
  performance_standby_last_remote_wal: 0,
};

/** Vault's mapping of HTTP methods to logical operations. */
function operationOf(method: string | undefined, query: URLSearchParams): EngineCall["operation"] {
  switch (method) {
    case "GET":
      return TRUE_VALUES.has(query.get("list") ?? "") ? "list" : "read";
    case "LIST":
      return "list";
    case "POST":
    case "PUT":
      return "write";
    case "DELETE":
      return "delete";
    case "PATCH":
      return "patch";
    default:
      throw new HttpError(405, "the method is not supported: use GET, LIST, POST, PUT, DELETE or PATCH");
  }
}

/** The token from `X-Vault-Token`, or from `Authorization: Bearer <token>`. */
function tokenOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers["x-vault-token"];
  if (typeof header === "string" && header.length > 0) return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

function parseUrl(target: string): URL {
  try {
    return new URL(target, "http://vaultlet.invalid");
  } catch {
    throw new HttpError(400, "the request target is not a valid URL");
  }
}

/** Each segment URL-decoded (lease ids and prefixes may be percent-encoded by clients). */
function decodePath(raw: string): string {
  try {
    return raw.split("/").map(decodeURIComponent).join("/");
  } catch {
    throw new HttpError(400, "the request path is not valid percent-encoding");
  }
}

/** Query parameters become request data for reads, lists and deletes, as in Vault (`list` excluded). */
function queryData(operation: EngineCall["operation"], query: URLSearchParams): RequestData {
  if (operation !== "read" && operation !== "list" && operation !== "delete") return {};
  const data: RequestData = {};
  for (const [key, value] of query) if (key !== "list") data[key] = value;
  return data;
}

/** Parses a body as a JSON object; an empty body is `{}`. */
function parseJsonBody(text: string): RequestData {
  if (text.trim().length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message may quote the body (`Unexpected token 'h', "hunter2" is not valid
    // JSON`), and the body may hold a password: only the position, a number, is passed on.
    throw new HttpError(400, `failed to parse JSON input: the body is not valid JSON${positionOf(error)}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "failed to parse JSON input: the body must be a JSON object");
  }
  return parsed as RequestData;
}

function fromIncoming(req: IncomingMessage): HttpRequest {
  return { method: req.method, url: req.url ?? "/", headers: req.headers, body: (limit) => readBody(req, limit) };
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume(); // discard it, so the 413 can be sent
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.resume(); // discard the rest, so the 413 can be sent
      reject(tooLarge(limit));
    };
    req.on("data", onData);
    req.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body too large: the limit is ${limit} bytes`);
}

/** Vault answers 204 when a response carries nothing: no data, auth, lease, warnings or wrap_info. */
function isEmpty(response: Response): boolean {
  return response.data === null && response.auth === null && response.lease_id === "" && response.warnings === null && response.wrap_info === null;
}

/**
 * Vault's older `sys/` endpoints also return their data at the top level of the body (clients from
 * before Vault 0.6.1 read it there: node-vault's `mounts()` and `getPolicy()` do).
 */
const LEGACY_TOP_LEVEL = /^sys\/(mounts|policy|auth|capabilities(-self|-accessor)?)(\/|$)/;

function replyOf(response: Response, path: string): Reply {
  if (isEmpty(response)) return { status: 204 };
  const body = LEGACY_TOP_LEVEL.test(path) && response.data ? { ...response.data, ...response } : response;
  return { status: 200, body };
}

/**
 * Vault's `sys/health` for load balancers and clients that probe (no token needed): 200 for an
 * initialized node, 501 for an uninitialized one, overridden by `activecode` and `uninitcode`.
 * The node is never sealed or a standby, so `sealedcode`, `standbycode`, `standbyok` and the other
 * standby and replication parameters are accepted and change nothing.
 */
function health(engine: Engine, query: URLSearchParams): Reply {
  const initialized = engine.initialized;
  const status = initialized ? statusParam(query, "activecode", 200) : statusParam(query, "uninitcode", 501);
  for (const name of ["standbycode", "sealedcode", "drsecondarycode", "performancestandbycode", "removedcode"]) statusParam(query, name, 0);
  return {
    status,
    body: {
      initialized,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: "disabled",
      replication_dr_mode: "disabled",
      server_time_utc: Math.floor(Date.now() / 1000),
      version: VERSION,
    },
  };
}

/** A status-code query parameter of `sys/health`, checked as Vault does. */
function statusParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const code = Number(raw);
  if (!Number.isInteger(code) || code < 100 || code > 599) throw new HttpError(400, `unable to parse ${name}: a status code from 100 to 599`);
  return code;
}

function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return void res.destroy();
  if (reply.body === undefined) return void res.writeHead(reply.status, { "Cache-Control": "no-store" }).end();
  const payload = JSON.stringify(reply.body);
  res
    .writeHead(reply.status, { "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(payload) })
    .end(payload);
}

// ── The LIST method ─────────────────────────────────────────────────────────────────────────────
// node:http's parser knows a fixed set of methods, and LIST (which Vault clients such as
// node-vault send) is not one of them: it fails the request as HPE_INVALID_METHOD before any
// handler runs. The parser error carries the raw bytes, so a LIST request is parsed here, served
// like any other, answered on the socket, and the connection closed (the parser cannot go on).

/** `" at position <n>"` when a JSON.parse error names one, else `""`: never any text of the body. */
function positionOf(error: unknown): string {
  const match = /\bposition (\d+)\b/.exec(error instanceof Error ? error.message : "");
  return match ? ` at position ${match[1]}` : "";
}

/** The error node:http hands to `clientError`. */
interface ParseError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

function answerUnparsed(error: ParseError, socket: Duplex, answer: (request: HttpRequest) => Promise<Reply>): void {
  const request = error.code === "HPE_INVALID_METHOD" && error.rawPacket ? parseRawListRequest(error.rawPacket) : undefined;
  if (!socket.writable) return void socket.destroy();
  if (!request) return void socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  void answer(request).then((reply) => socket.end(rawReply(reply)));
}

/** A `LIST` request from its raw bytes; `undefined` when it is not one or has not fully arrived. */
function parseRawListRequest(raw: Buffer): HttpRequest | undefined {
  const text = raw.toString("latin1");
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const [requestLine = "", ...headerLines] = text.slice(0, headEnd).split("\r\n");
  const match = /^LIST (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (!match) return undefined;
  const headers: IncomingHttpHeaders = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = raw.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), "latin1"));
  if (body.length !== Number(headers["content-length"] ?? 0)) return undefined;
  return {
    method: "LIST",
    url: match[1]!,
    headers,
    body: async (limit) => {
      if (body.length > limit) throw tooLarge(limit);
      return body.toString("utf8");
    },
  };
}

function rawReply(reply: Reply): string {
  const payload = reply.body === undefined ? "" : JSON.stringify(reply.body);
  const type = reply.body === undefined ? "" : "Content-Type: application/json\r\n";
  const reason = STATUS_CODES[reply.status] ?? "";
  return `HTTP/1.1 ${reply.status} ${reason}\r\n${type}Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`;
}

/**
 * A local dev server: an engine on MemoryStorage, initialized, on 127.0.0.1:`VAULTLET_PORT`
 * (default 8200). The root token goes to `VAULTLET_TOKEN_FILE` (default `.vaultlet-root-token`,
 * mode 0600), never to the console.
 */
export async function main(): Promise<void> {
  const port = Number(process.env.VAULTLET_PORT ?? 8200);
  const tokenFile = resolve(process.env.VAULTLET_TOKEN_FILE ?? ".vaultlet-root-token");
  const engine = await Engine.open({ storage: new MemoryStorage() });
  const { rootToken } = await engine.initialize();
  await writeFile(tokenFile, `${rootToken}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  const server = createVaultHttpServer(engine, { onUnexpectedError: (error) => console.error("unexpected error:", error) });
  await new Promise<void>((ready) => server.listen(port, "127.0.0.1", ready));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  console.log(`vaultlet listening on http://127.0.0.1:${actualPort} (root token in ${tokenFile})`);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void engine.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

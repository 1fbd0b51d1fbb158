/**
 * libpq's keyword/value connection strings (`host=db port=5432 dbname=app user={{username}}
 * password={{password}} sslmode=require`), read into the URL form `pg` understands.
 *
 * Values are split out before `{{username}}`/`{{password}}` are filled in, so a password holding
 * spaces, quotes or `key=` text stays one value and can never add a parameter.
 *
 * @module
 */
import { InvalidRequestError } from "../../../../errors.js";

/**
 * The keywords `pg` honours (others would be dropped without a word, so they are refused).
 * `dbname`, `user` and `password` go into the URL itself, the rest into its query.
 */
const SUPPORTED_KEYWORDS = new Set([
  "host", "port", "dbname", "user", "password", "sslmode", "sslcert", "sslkey", "sslrootcert", "application_name",
  "fallback_application_name", "options", "connect_timeout", "client_encoding", "keepalives", "keepalives_idle",
  "target_session_attrs",
]);

/**
 * Every keyword libpq knows (PostgreSQL 17's list). Only these are ever quoted in an error: any
 * other word where a keyword was expected may be part of a password (`password=two words`), so it
 * is named by its position instead.
 */
const LIBPQ_KEYWORDS = new Set([
  ...SUPPORTED_KEYWORDS, "hostaddr", "passfile", "require_auth", "channel_binding", "keepalives_interval", "keepalives_count",
  "tcp_user_timeout", "replication", "gssencmode", "requiressl", "sslnegotiation", "sslcompression", "sslpassword", "sslcertmode",
  "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
  "gssdelegation", "service", "load_balance_hosts",
]);

/** How an error names the word at `position` (0-based) that stood where a keyword belongs. */
function describeWord(word: string, position: number): string {
  return LIBPQ_KEYWORDS.has(word) ? JSON.stringify(word) : `the word at character ${position + 1}`;
}

/** One `key=value` pair, its value unquoted and unescaped. */
export interface KeywordPair {
  key: string;
  value: string;
  /** Where the key starts in the text (1-based), when it was read from one: errors name it by that. */
  position?: number;
}

/** Whether `text` is a keyword/value string rather than a URL. */
export function isKeywordDsn(text: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text);
}

/**
 * Splits a keyword/value string by libpq's rules: pairs separated by whitespace, spaces allowed
 * around `=`, a value either single-quoted (`\'` and `\\` escape) or a run of non-space characters
 * (where a backslash escapes too).
 *
 * @throws InvalidRequestError naming what cannot be read by its position, or by its keyword when
 *   that is one of libpq's: never a value, nor a word that may be part of one (a password)
 */
export function parseKeywordDsn(text: string): KeywordPair[] {
  const pairs: KeywordPair[] = [];
  let position = 0;
  const skipSpace = () => {
    while (position < text.length && /\s/.test(text[position]!)) position++;
  };
  for (;;) {
    skipSpace();
    if (position >= text.length) return pairs;
    const key = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(position))?.[0];
    if (!key) throw new InvalidRequestError(`connection_url: cannot read a keyword at character ${position + 1}`);
    const keyAt = position;
    position += key.length;
    skipSpace();
    if (text[position] !== "=") throw new InvalidRequestError(`connection_url: missing "=" after ${describeWord(key, keyAt)}`);
    position++;
    skipSpace();
    let value = "";
    if (text[position] === "'") {
      position++;
      for (;;) {
        if (position >= text.length) throw new InvalidRequestError(`connection_url: unterminated quoted value of ${describeWord(key, keyAt)}`);
        const char = text[position]!;
        if (char === "'") break;
        if (char === "\\" && position + 1 < text.length) position++;
        value += text[position];
        position++;
      }
      position++;
    } else {
      while (position < text.length && !/\s/.test(text[position]!)) {
        if (text[position] === "\\" && position + 1 < text.length) position++;
        value += text[position];
        position++;
      }
    }
    pairs.push({ key, value, position: keyAt + 1 });
  }
}

/**
 * The URL `pg` connects with for `pairs` (values already filled in): the database as its path,
 * everything else as query parameters, which `pg` reads like the URL's own parts (and which keep a
 * socket directory as `host` possible).
 *
 * @throws InvalidRequestError for a keyword `pg` would ignore (named only when it is libpq's), a
 *   repeated one, or several hosts
 */
export function keywordPairsToUrl(pairs: readonly KeywordPair[]): string {
  const values = new Map<string, string>();
  for (const [index, { key, value, position }] of pairs.entries()) {
    if (!SUPPORTED_KEYWORDS.has(key)) {
      throw unsupportedKeyword(key, position === undefined ? `the keyword of pair ${index + 1}` : `the word at character ${position}`);
    }
    if (values.has(key)) throw new InvalidRequestError(`connection_url: ${JSON.stringify(key)} is given twice`);
    values.set(key, value);
  }
  const host = values.get("host") ?? "";
  if (host.includes(",")) throw multiHostError();
  const query = new URLSearchParams();
  query.set("port", values.get("port") || "5432");
  for (const [key, value] of values) if (key !== "dbname" && key !== "port") query.set(key, value);
  return `postgresql:///${encodeURIComponent(values.get("dbname") ?? "")}?${query.toString()}`;
}

/** `where` names the key by its place, for a key that is not libpq's (so maybe part of a password). */
function unsupportedKeyword(key: string, where: string): InvalidRequestError {
  const supported = `supported: ${[...SUPPORTED_KEYWORDS].join(", ")}`;
  if (LIBPQ_KEYWORDS.has(key)) return new InvalidRequestError(`connection_url: the keyword ${JSON.stringify(key)} is not supported; ${supported}`);
  return new InvalidRequestError(`connection_url: ${where} is not a libpq keyword (a literal value holding spaces must be single-quoted); ${supported}`);
}

/**
 * Several hosts (`h1,h2`, libpq's fail-over list) are refused rather than half-honoured: `pg`
 * connects to one host only.
 */
export function multiHostError(): InvalidRequestError {
  return new InvalidRequestError(
    "connection_url: several hosts (h1,h2) are not supported by this PostgreSQL plugin (the pg driver connects to one host); " +
      "give one host, e.g. the primary's address or a proxy in front of the cluster",
  );
}

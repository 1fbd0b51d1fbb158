/**
 * Reading a `connection_url` the way an attacker might write it: the user names it logs in as (so a
 * static role never takes over the connection's admin) and a copy with every password masked (so a
 * config read never returns any part of one).
 *
 * Both err on the safe side: a name that might be the login user counts as one, and text that
 * might belong to a password is masked.
 *
 * @module
 */

/** What a read shows instead of a password. */
export const MASK = "*****";
/** A password left as a template is not a secret and stays visible. */
const PASSWORD_TEMPLATE = "{{password}}";

const URL_PREFIX = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A keyword/value pair of a libpq-style DSN: `key=value` or `key='quoted \' value'` (unterminated: to the end). */
const KEYWORD_PAIR = /([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S*)/g;
/** A query parameter: its value runs to the next `&key=` (a raw `&` inside a password stays inside) or `#` or the end. */
const QUERY_PARAM = /([?&])([^=&#]*)=([\s\S]*?)(?=&[A-Za-z_][A-Za-z0-9_]*=|#|$)/g;

/** Whether a connection parameter named `key` holds a password (`password`, `sslpassword`, …). */
function isPasswordKey(key: string): boolean {
  return /pass/i.test(key);
}

/** Whether a connection parameter named `key` names the login user. */
function isUserKey(key: string): boolean {
  return /^user(name)?$/i.test(key);
}

/**
 * The connection URL with every password masked: the userinfo password of a URL (everything between
 * the user's `:` and the last `@`, so a raw `@`, `:` or `%` in it hides nothing), any query
 * parameter whose name holds `pass`, and the same keys of a keyword/value DSN.
 */
export function maskConnectionUrl(url: string): string {
  if (!URL_PREFIX.test(url)) return url.replace(KEYWORD_PAIR, (pair, key: string, eq: string, value: string) => (isPasswordKey(key) ? `${key}${eq}${maskValue(value)}` : pair));
  const scheme = URL_PREFIX.exec(url)![0];
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  const userinfo = at === -1 ? "" : rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  const maskedInfo = colon === -1 ? userinfo : `${userinfo.slice(0, colon + 1)}${maskValue(userinfo.slice(colon + 1))}`;
  // Parameters are masked over the whole remainder: an `@` in the query (no userinfo at all) must
  // not hide a `?password=` before it inside what looked like userinfo.
  const masked = `${maskedInfo}${at === -1 ? rest : rest.slice(at)}`.replace(QUERY_PARAM, (param, sep: string, key: string, value: string) =>
    isPasswordKey(safeDecode(key)) ? `${sep}${key}=${maskValue(value)}` : param,
  );
  return `${scheme}${masked}`;
}

function maskValue(value: string): string {
  if (value === PASSWORD_TEMPLATE || value === "" || value === `'${PASSWORD_TEMPLATE}'`) return value;
  return MASK;
}

/**
 * Every user name the connection may log in as: the config's `username`, the user of a URL
 * (decoded), `user=` query parameters, and `user=` of a keyword/value DSN. A `{{username}}`
 * template stands for `username`, already listed.
 */
export function connectionUsers(connectionUrl: string, username: string | undefined): string[] {
  const names = new Set<string>();
  const add = (name: string) => {
    if (name && name !== "{{username}}") names.add(name);
  };
  if (username) add(username);
  if (URL_PREFIX.test(connectionUrl)) {
    const rest = connectionUrl.slice(URL_PREFIX.exec(connectionUrl)![0].length);
    if (rest.includes("@")) add(safeDecode(rest.slice(0, rest.search(/[:@]/))));
    for (const match of rest.matchAll(QUERY_PARAM)) if (isUserKey(safeDecode(match[2]!))) add(safeDecode(match[3]!));
  } else {
    for (const match of connectionUrl.matchAll(KEYWORD_PAIR)) if (isUserKey(match[1]!)) add(unquote(match[3]!));
  }
  return [...names];
}

/**
 * Whether two role names may denote the same PostgreSQL role: compared without surrounding double
 * quotes and case-insensitively (an unquoted name in a statement folds to lower case), so
 * `"Postgres"`, `POSTGRES` and `postgres` all match.
 */
export function sameRoleName(a: string, b: string): boolean {
  return canonicalRoleName(a) === canonicalRoleName(b);
}

function canonicalRoleName(name: string): string {
  const trimmed = name.trim();
  const unquoted = /^".*"$/s.test(trimmed) ? trimmed.slice(1, -1).replace(/""/g, '"') : trimmed;
  return unquoted.toLowerCase();
}

function unquote(value: string): string {
  if (!value.startsWith("'")) return value;
  return value.replace(/^'|'$/g, "").replace(/\\(.)/g, "$1");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

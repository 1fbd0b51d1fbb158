/**
 * A connection URL read the way `pg` reads it (pg-connection-string's steps), so that what the
 * engine checks — the port, `connect_timeout`, a host list — is what the driver will use, not
 * what a different parser thinks the text says.
 *
 * @module
 */

/**
 * The URL `pg` makes of `text`, or `undefined` when it would refuse it ("Invalid URL"). A text
 * in the socket-path form ({@link isSocketPathForm}) is not a URL to `pg`: check that first.
 */
export function parsePgUrl(text: string): URL | undefined {
  // pg percent-encodes a string with spaces or stray `%` first, then parses against a base URL,
  // then retries an empty host after `@` with a placeholder.
  const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text) ? encodeURI(text).replace(/%25(\d\d)/g, "%$1") : text;
  try {
    return new URL(encoded, "postgres://base");
  } catch {
    try {
      return new URL(encoded.replace("@/", "@___DUMMY___/"), "postgres://base");
    } catch {
      return undefined;
    }
  }
}

/** Whether `pg` reads `text` as a socket directory and a database (`/var/run/postgresql app`), with no parameters. */
export function isSocketPathForm(text: string): boolean {
  return text.startsWith("/");
}

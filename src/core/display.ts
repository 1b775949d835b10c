/**
 * What may be shown to the user of text that came from outside (a manifest, a URL, an upstream, a
 * tool's error): no terminal control sequence, no line break that could forge a progress line, and
 * no credential from a URL.
 */

/**
 * A URL as it may be shown: over http(s) whatever stands before `@` is a credential (a token, or
 * user:password) and becomes `***`; elsewhere a password after `user:` does. A password holding an
 * unencoded `/` counts (`user:pa/ss@host`), and the values of a query string (signatures of
 * pre-signed URLs, tokens) become `***` too.
 */
export function redactUrl(url: string): string {
  const m = /^([a-z][\w+.-]*:\/\/)(.*)$/is.exec(url)
  if (!m) return url
  const [, scheme, rest] = m
  const end = userinfoEnd(rest)
  let shown = rest
  const colon = rest.indexOf(':')
  if (end !== -1 && /^https?:/i.test(scheme)) shown = `***${rest.slice(end)}`
  // Elsewhere the user is no secret (ssh://git@host); a password after it is.
  else if (end !== -1 && colon !== -1 && colon < end) shown = `${rest.slice(0, colon)}:***${rest.slice(end)}`

  return scheme + shown.replace(/\?[^#]*/, query => query.replaceAll(/=[^&#]*/g, '=***'))
}

/**
 * Where the userinfo of `rest` (a URL after `scheme://`) ends: its `@`, or -1. The authority ends at
 * the first `/`, `?` or `#`; a first segment `user:x` whose `x` is not a port, followed later by an
 * `@`, is a password holding `/`.
 */
function userinfoEnd(rest: string): number {
  const cut = rest.search(/[/?#]/)
  const first = cut === -1 ? rest : rest.slice(0, cut)
  const at = first.lastIndexOf('@')
  if (at !== -1) return at
  const colon = first.indexOf(':')
  if (cut === -1 || colon === -1 || /^\d*$/.test(first.slice(colon + 1))) return -1
  const later = /^[^?#]*?@/.exec(rest.slice(cut))
  return later ? cut + later[0].length - 1 : -1
}

/** Credentials of every URL inside `text` (git quotes the URL it failed on) replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replaceAll(/\b[a-z][\w+.-]*:\/\/[^\s'"]*/gi, url => redactUrl(url))
}

/**
 * One line of outside text, safe to print: C0 and C1 control characters (escape sequences, carriage
 * returns, line breaks) and Unicode bidirectional overrides are shown as visible escapes.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return redactUrls(text).replaceAll(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, c => (c === '\n' ? '\\n' : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`))
}

/** Several lines of outside text (an error with its hint): each line made safe, line breaks kept. */
export function lines(text: string): string {
  return text.split('\n').map(l => oneLine(l)).join('\n')
}

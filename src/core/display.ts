/**
 * What may be shown to the user of text that came from outside (a manifest, a URL, an upstream, a
 * tool's error): no terminal control sequence, no line break that could forge a progress line, and
 * no credential from a URL.
 */

/**
 * A URL as it may be shown: over http(s) whatever stands before `@` is a credential (a token, or
 * user:password) and becomes `***`; elsewhere a password after `user:` does.
 */
export function redactUrl(url: string): string {
  if (/^https?:\/\/[^/]*@/i.test(url)) return url.replace(/^(https?:\/\/)[^/]*@/i, '$1***@')
  return url.replace(/^([a-z][\w+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@')
}

/** Credentials of every URL inside `text` (git quotes the URL it failed on) replaced by `***`. */
export function redactUrls(text: string): string {
  return text
  .replaceAll(/\b(https?:\/\/)[^\s/'"]+@/gi, '$1***@')
  .replaceAll(/\b([a-z][\w+.-]*:\/\/[^\s/@:'"]*):[^\s/'"]*@/gi, '$1:***@')
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

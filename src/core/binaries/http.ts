/**
 * HTTP GET for release assets, with what Node's own fetch lacks on Node 20: the user's proxy
 * settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, lower case first, as curl reads them) through
 * undici's EnvHttpProxyAgent, read from the environment the CLI was given rather than from
 * process.env. Redirects are followed here, not by undici, so that every hop is checked: https only
 * (plain http only when the user set an http base, and never after https), credentials of the base
 * sent to its own origin only. Timeouts bound the connection and every silence of the server, not
 * the whole transfer: a large program on a slow but steady link still arrives.
 *
 * Failures are FetchFailure with a one-line reason; an abort is the caller's to report.
 */
import type {Readable} from 'node:stream'
import type {Dispatcher} from 'undici'

import {debug} from '../log.js'
import {bareUrl} from './releases.js'

export type HttpOptions = {
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** plain http is allowed (the user set an http:// base explicitly) */
  allowHttp: boolean
  /** origin and credentials of the base, sent as basic authentication to that origin only */
  auth?: {origin: string; header: string}
  connectTimeoutMs: number
  /** the longest silence of the server: before the response headers, and between chunks of the body */
  idleTimeoutMs: number
  userAgent: string
}

const MAX_REDIRECTS = 5

/** Reads away a body that is not used, so that the connection can be reused; its errors do not matter. */
async function discardBody(res: Dispatcher.ResponseData): Promise<void> {
  await res.body.dump().catch(error => debug('discarding a response body: %s', (error as Error).message))
}

/** A download that did not work, with a reason a user can read in one line. */
export class FetchFailure extends Error {
  readonly status?: number

  constructor(reason: string, opts: {cause?: unknown; status?: number} = {}) {
    super(reason, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'FetchFailure'
    this.status = opts.status
  }
}

export type HttpResponse = {body: Readable; length?: number; url: URL}

export class HttpClient {
  private constructor(
    private readonly dispatcher: Dispatcher,
    private readonly request: typeof import('undici').request,
    private readonly opts: HttpOptions,
  ) {}

  static async open(opts: HttpOptions): Promise<HttpClient> {
    // undici is loaded only when something is downloaded.
    const undici = await import('undici')
    const {env} = opts
    const timeout = {timeout: opts.connectTimeoutMs}
    const dispatcher = new undici.EnvHttpProxyAgent({
      // Empty strings, not undefined: undefined would make undici read process.env instead.
      httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
      httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
      noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
      connect: timeout,
      proxyTls: timeout,
      requestTls: timeout,
      headersTimeout: opts.idleTimeoutMs,
      bodyTimeout: opts.idleTimeoutMs,
    })
    return new HttpClient(dispatcher, undici.request, opts)
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy().catch(error => debug('closing the HTTP client: %s', (error as Error).message))
  }

  /** GET `url`; resolves with a 200 response's body, throws FetchFailure otherwise (404 included). */
  async get(url: URL): Promise<HttpResponse> {
    let current = url
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = {'user-agent': this.opts.userAgent, accept: 'application/octet-stream'}
      if (this.opts.auth && current.origin === this.opts.auth.origin) headers.authorization = this.opts.auth.header
      const target = new URL(current.href)
      target.username = ''
      target.password = ''
      let res: Dispatcher.ResponseData
      try {
        res = await this.request(target, {
          dispatcher: this.dispatcher, method: 'GET', headers, signal: this.opts.signal,
        })
      } catch (error) {
        throw new FetchFailure(networkReason(error, current), {cause: error})
      }

      const {statusCode} = res
      if (statusCode >= 300 && statusCode < 400 && res.headers.location) {
        await discardBody(res)
        if (hop >= MAX_REDIRECTS) throw new FetchFailure(`more than ${MAX_REDIRECTS} redirects from ${bareUrl(url)}`)
        current = this.redirectTarget(current, String(res.headers.location))
        continue
      }

      if (statusCode !== 200) {
        await discardBody(res)
        const what = statusCode === 404 ? 'not found' : `HTTP ${statusCode}`
        throw new FetchFailure(`${what} (${statusCode === 404 ? 'HTTP 404, ' : ''}${bareUrl(current)})`, {status: statusCode})
      }

      const length = Number(res.headers['content-length'])
      return {body: res.body, length: Number.isFinite(length) ? length : undefined, url: current}
    }
  }

  /** The text at `url` (at most `maxBytes`), or undefined when it is not there (404). */
  async getText(url: URL, maxBytes: number): Promise<string | undefined> {
    let res: HttpResponse
    try {
      res = await this.get(url)
    } catch (error) {
      if (error instanceof FetchFailure && error.status === 404) return undefined
      throw error
    }

    if (res.length !== undefined && res.length > maxBytes) {
      res.body.destroy()
      throw new FetchFailure(`${bareUrl(url)} is larger than ${maxBytes} bytes`)
    }

    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length
        if (size > maxBytes) throw new FetchFailure(`${bareUrl(url)} is larger than ${maxBytes} bytes`)
        chunks.push(chunk as Buffer)
      }
    } catch (error) {
      res.body.destroy()
      if (error instanceof FetchFailure) throw error
      throw new FetchFailure(networkReason(error, res.url), {cause: error})
    }

    return Buffer.concat(chunks).toString('utf8')
  }

  private redirectTarget(from: URL, location: string): URL {
    let to: URL
    try {
      to = new URL(location, from)
    } catch (error) {
      throw new FetchFailure(`bad redirect from ${bareUrl(from)}`, {cause: error})
    }

    const plainAllowed = this.opts.allowHttp && from.protocol === 'http:'
    if (to.protocol !== 'https:' && !(to.protocol === 'http:' && plainAllowed)) {
      const why = from.protocol === 'https:' && to.protocol === 'http:' ? 'it leaves HTTPS' : `${to.protocol} is not allowed`
      throw new FetchFailure(`refused a redirect from ${bareUrl(from)} to ${bareUrl(to)}: ${why}`)
    }

    return to
  }
}

const REASONS: Record<string, (url: URL, code: string) => string> = {
  EAI_AGAIN: offline, ENOTFOUND: offline,
  ECONNREFUSED: url => `${url.host} refused the connection`,
  ECONNRESET: brokeOff, EPIPE: brokeOff, UND_ERR_SOCKET: brokeOff,
  EHOSTUNREACH: unreachable, ENETDOWN: unreachable, ENETUNREACH: unreachable,
  UND_ERR_BODY_TIMEOUT: url => `timed out: ${url.host} stopped sending data`,
  UND_ERR_CONNECT_TIMEOUT: url => `timed out connecting to ${url.host}`,
  UND_ERR_HEADERS_TIMEOUT: url => `timed out waiting for ${url.host} to answer`,
}

function offline(url: URL, code: string): string {
  return `offline? ${url.hostname} could not be resolved (${code})`
}

function unreachable(url: URL, code: string): string {
  return `offline? ${url.host} is unreachable (${code})`
}

function brokeOff(url: URL, code: string): string {
  return `the connection to ${url.host} broke off (${code})`
}

/** The one-line reason for an error of the transfer (connection, TLS, timeouts, proxy). */
export function networkReason(error: unknown, url: URL): string {
  const {code, message} = error as {code?: string; message?: string}
  const known = code ? REASONS[code] : undefined
  if (known && code) return known(url, code)
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code)) return `TLS failure with ${url.host}: ${message ?? code}`
  return `${url.host}: ${message ?? String(error)}${code ? ` (${code})` : ''}`
}

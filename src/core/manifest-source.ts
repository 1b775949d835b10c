/**
 * Where a manifest's text comes from: a file, a FIFO (`-f <(…)`), stdin (`-f -`), or an https URL
 * (downloaded as the Go CLI does). Every source
 * is read with a size limit and can be abandoned at once when the run is interrupted: a Ctrl-C must
 * work while the CLI waits for a writer that never comes.
 */
import {
  close, closeSync, constants, open as openFd, openSync,
} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import net from 'node:net'

import {redactUrl} from './display.js'
import {InterruptedError, InvalidInputError} from './errors.js'

/** Real manifests are a few KiB; a bigger input is a mistake (or an attack on memory and time). */
export const MAX_MANIFEST_BYTES = 1024 * 1024

export type ReadOptions = {
  signal?: AbortSignal
  stdin?: NodeJS.ReadableStream
  limit?: number
  timeouts?: typeof DOWNLOAD_TIMEOUTS
  /** one-line notices (a download over plain http) */
  warn?: (line: string) => void
}

export async function readManifestText(file: string, opts: ReadOptions = {}): Promise<{text: string; source: string}> {
  if (/^https?:\/\//i.test(file)) {
    if (/^http:/i.test(file)) opts.warn?.(`downloading ${redactUrl(file)} over plain http: anyone on the way can change it`)
    return {text: await download(file, opts), source: redactUrl(file)}
  }

  return readLocalText(file, {...opts, what: 'manifest', dashIsStdin: true})
}

/**
 * A local input's text (a manifest, a credentials file): a regular file, or a FIFO (`<(…)`), or
 * stdin for `-` when `dashIsStdin`; read with `limit`, and left at once on `signal`.
 */
export async function readLocalText(file: string, opts: ReadOptions & {what: string; dashIsStdin?: boolean}): Promise<{text: string; source: string}> {
  const stdin = file === '-' && opts.dashIsStdin
  const source = stdin ? '<stdin>' : file
  const limit = opts.limit ?? MAX_MANIFEST_BYTES
  try {
    if (stdin) return {
      text: await readStream(opts.stdin ?? process.stdin, {
        source, limit, signal: opts.signal, what: opts.what,
      }), source,
    }
    const st = await stat(file)
    if (st.isDirectory()) throw new InvalidInputError(`cannot read ${opts.what} ${source}: it is a folder`)
    if (st.isFile()) {
      if (st.size > limit) throw tooBig(source, limit, opts.what)
      return {text: await readFile(file, {encoding: 'utf8', signal: opts.signal}), source}
    }

    // A FIFO, a socket or a device: read as a stream that a signal can stop.
    return {
      text: await readStream(await openPipe(file, opts.signal), {
        source, limit, signal: opts.signal, what: opts.what,
      }), source,
    }
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof InterruptedError) throw error
    if (opts.signal?.aborted) throw new InterruptedError(signalOf(opts.signal))
    const {code} = error as NodeJS.ErrnoException
    const why = code === 'ENOENT' ? 'no such file' : (code === 'EACCES' ? 'permission denied' : (error as Error).message)
    throw new InvalidInputError(`cannot read ${opts.what} ${source}: ${why}`)
  }
}

/**
 * Opens a FIFO for reading. The open itself blocks until a writer comes, in a thread of Node's pool
 * that nothing can cancel, and that would keep the process from exiting: on abort, the FIFO is
 * opened for writing once (without writing), which lets the pending open complete.
 */
async function openPipe(file: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
  // A plain descriptor, not a FileHandle: the socket below owns and closes it, and a FileHandle
  // would close the same number again when collected (by then, maybe another file's).
  const opening = new Promise<number>((resolve, reject) => {
    openFd(file, constants.O_RDONLY, (error, fd) => (error ? reject(error) : resolve(fd)))
  })
  let settled = false
  opening.then(() => {
    settled = true
  }, () => {
    settled = true
  })
  const fd = await new Promise<number>((resolve, reject) => {
    const onAbort = () => {
      release(file, () => settled)
      opening.then(f => close(f, () => {}), () => {})
      reject(new InterruptedError(signalOf(signal!)))
    }

    if (signal?.aborted) {
      onAbort()
      return
    }

    signal?.addEventListener('abort', onAbort, {once: true})
    opening.then(
      f => {
        signal?.removeEventListener('abort', onAbort)
        resolve(f)
      },
      error => {
        signal?.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
  // Read through the event loop (epoll), not the thread pool: a silent writer must not block exit.
  return new net.Socket({fd, readable: true, writable: false})
}

/**
 * Lets a pending open of the FIFO complete by opening it for writing once. Until the reader's open
 * has reached the kernel, that fails with ENXIO (no reader yet): try again until the open is done.
 */
function release(file: string, done: () => boolean): void {
  if (done()) return
  try {
    // eslint-disable-next-line no-bitwise -- open(2) flags are a bit mask
    closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENXIO') return
    setImmediate(() => release(file, done))
  }
}

async function readStream(stream: NodeJS.ReadableStream, {source, limit, signal, what}: {source: string; limit: number; signal?: AbortSignal; what: string}): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bytes = 0
    const stop = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort)
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      if (error) {
        // Stop reading for good: an open stdin or FIFO would keep the process alive.
        (stream as NodeJS.ReadableStream & {destroy?: () => void}).destroy?.()
        reject(error)
      }
    }

    const onAbort = () => stop(new InterruptedError(signalOf(signal!)))
    const onData = (chunk: Buffer | string) => {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
      bytes += buf.length
      if (bytes > limit) return stop(tooBig(source, limit, what))
      chunks.push(buf)
    }

    const onEnd = () => {
      stop()
      resolve(Buffer.concat(chunks).toString('utf8'))
    }

    const onError = (error: Error) => stop(error)
    if (signal?.aborted) {
      onAbort()
      return
    }

    signal?.addEventListener('abort', onAbort, {once: true})
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', onError)
  })
}

/** How long a manifest download may wait for the server to answer, and to finish. */
export const DOWNLOAD_TIMEOUTS = {headersMs: 15_000, totalMs: 60_000}

/** The longest a Node.js timer waits (longer ones fire at once). */
const MAX_TIMER_MS = 2_147_483_647

/**
 * PROJECT_PLANTON_HTTP_TIMEOUT (seconds to wait for an answer; the download may take four times
 * that). A value that is not a positive number of seconds is an input error, not the default in
 * silence; one longer than a timer can hold is capped there.
 */
export function downloadTimeouts(env: NodeJS.ProcessEnv): typeof DOWNLOAD_TIMEOUTS {
  const text = env.PROJECT_PLANTON_HTTP_TIMEOUT
  if (text === undefined || text === '') return DOWNLOAD_TIMEOUTS
  const seconds = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN
  if (!(seconds > 0)) {
    throw new InvalidInputError(`PROJECT_PLANTON_HTTP_TIMEOUT=${JSON.stringify(text)} is not a number of seconds`, {
      hint: 'Set it to the seconds a manifest download may wait for an answer, e.g. PROJECT_PLANTON_HTTP_TIMEOUT=60, or unset it (15).',
    })
  }

  return {headersMs: Math.min(seconds * 1000, MAX_TIMER_MS), totalMs: Math.min(seconds * 4000, MAX_TIMER_MS)}
}

/**
 * `-f https://…`: the manifest downloaded, as the Go CLI does, with a time and a size limit and a
 * clear error for each way it can fail. Nothing is written to disk. A signal stops it at once.
 */
async function download(url: string, opts: ReadOptions): Promise<string> {
  const shown = redactUrl(url)
  const limit = opts.limit ?? MAX_MANIFEST_BYTES
  const timeouts = opts.timeouts ?? DOWNLOAD_TIMEOUTS
  const stop = new AbortController()
  const onAbort = () => stop.abort(opts.signal?.reason)
  opts.signal?.addEventListener('abort', onAbort, {once: true})
  let timedOut: {waitingFor: string; ms: number} | undefined
  const stopAfter = (waitingFor: string, ms: number) => setTimeout(() => {
    timedOut = {waitingFor, ms}
    stop.abort()
  }, ms)
  let timer = stopAfter('answer', timeouts.headersMs)
  try {
    const {target, headers} = requestOf(url)
    // eslint-disable-next-line n/no-unsupported-features/node-builtins -- fetch is stable from Node 20 on (the plugin dates it to 21)
    const response = await fetch(target, {signal: stop.signal, redirect: 'follow', headers})
    clearTimeout(timer)
    timer = stopAfter('end of the download', timeouts.totalMs)
    return await readBody(response, shown, limit, stop)
  } catch (error) {
    if (error instanceof InvalidInputError) throw error
    if (opts.signal?.aborted) throw new InterruptedError(signalOf(opts.signal))
    if (timedOut) throw new InvalidInputError(`cannot download manifest ${shown}: no ${timedOut.waitingFor} within ${timedOut.ms / 1000} s`)
    const {cause} = (error as {cause?: {code?: string; message?: string}})
    throw new InvalidInputError(`cannot download manifest ${shown}: ${cause?.code ?? cause?.message ?? (error as Error).message}`)
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onAbort)
  }
}

/** fetch refuses a URL with credentials in it: they go as a basic Authorization header. */
function requestOf(url: string): {target: URL; headers: Record<string, string>} {
  const target = new URL(url)
  const headers: Record<string, string> = {accept: 'application/yaml, text/yaml, text/plain, */*'}
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
    target.username = ''
    target.password = ''
  }

  return {target, headers}
}

/** The answer's text; a failed answer, or one over `limit` bytes (declared or received), is an InvalidInputError. */
// eslint-disable-next-line n/no-unsupported-features/node-builtins -- as fetch above: stable from Node 20 on
async function readBody(response: Response, shown: string, limit: number, stop: AbortController): Promise<string> {
  if (!response.ok) {
    await response.body?.cancel()
    throw new InvalidInputError(`cannot download manifest ${shown}: the server answered ${response.status} ${response.statusText}`.trim())
  }

  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > limit) {
    await response.body?.cancel()
    throw tooBig(shown, limit)
  }

  const chunks: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of response.body ?? []) {
    bytes += chunk.length
    if (bytes > limit) {
      stop.abort()
      throw tooBig(shown, limit)
    }

    chunks.push(chunk)
  }

  return Buffer.concat(chunks).toString('utf8')
}

function tooBig(source: string, limit: number, what = 'manifest'): InvalidInputError {
  return new InvalidInputError(`${what} ${source} is larger than ${limit / 1024} KiB`, {
    hint: `A ${what} is a few KiB; check that this is the right file.`,
  })
}

function signalOf(signal: AbortSignal): NodeJS.Signals {
  return typeof signal.reason === 'string' ? (signal.reason as NodeJS.Signals) : 'SIGINT'
}

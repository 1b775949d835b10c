/**
 * Downloading a module's released program: the gzip asset is streamed, unpacked and written in one
 * pass, with limits on both sizes; a truncated or corrupt stream fails (gzip's own CRC and length
 * trailer are checked by zlib), the published checksum (if the release has one) is compared with
 * what arrived, and the first bytes must be a program of this platform. Any failure leaves nothing:
 * the caller writes into a temporary folder it removes.
 */
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {InterruptedError} from '../errors.js'
import {formatBytes} from '../fsutil.js'
import {FetchFailure, type HttpClient, networkReason} from './http.js'
import {
  type Platform, PROGRAM_HEADER_BYTES, programFormatProblem,
} from './platform.js'
import {bareUrl, checksumFor} from './releases.js'

/** Larger than any module program (the largest are ~150 MiB unpacked); a guard against a bad server. */
export const MAX_PROGRAM_BYTES = 1024 * 1024 * 1024
const MAX_CHECKSUM_FILE_BYTES = 1024 * 1024

export type Checksum = {sha256: string; from: string}

/**
 * The SHA-256 a release publishes for `asset`: the first of `urls` that exists and names it. A
 * checksum file that is not there (404) means none is published; any other failure to read one
 * fails the download, since a published checksum that cannot be read cannot be checked.
 */
export async function publishedChecksum(client: HttpClient, urls: URL[], asset: string): Promise<Checksum | undefined> {
  for (const [i, url] of urls.entries()) {
    const text = await client.getText(url, MAX_CHECKSUM_FILE_BYTES)
    if (text === undefined) continue
    const sha256 = checksumFor(text, asset, i === 0)
    if (sha256) return {sha256, from: bareUrl(url)}
    // The sidecar exists but holds no digest: something is wrong with the release.
    if (i === 0) throw new FetchFailure(`the checksum file ${bareUrl(url)} holds no SHA-256`)
  }

  return undefined
}

export type Downloaded = {bytes: number; compressedBytes: number}

/**
 * What a failed transfer means: a FetchFailure with its reason, or the error itself when it is not
 * about the download (the disk is full: the run cannot go on from source either).
 */
function transferFailure(error: unknown, got: {url: URL; length?: number; received: number; complete: boolean}): Error {
  if (error instanceof FetchFailure) return error
  const {code, message, path: file} = error as NodeJS.ErrnoException
  if (code?.startsWith('Z_')) {
    return new FetchFailure(`damaged: the download is not intact gzip data (${message}${got.complete ? `, after ${formatBytes(got.received)}` : ''})`, {cause: error})
  }

  if (code?.startsWith('UND_ERR') || (code?.startsWith('E') && file === undefined)) {
    // Cut short: undici reports a closed socket or a length mismatch; the byte count says what it means.
    const early = !got.complete && got.length !== undefined && got.received < got.length
    const why = networkReason(error, got.url)
    return new FetchFailure(early ? `damaged: the download ended early, after ${formatBytes(got.received)} of ${formatBytes(got.length ?? 0)} (${why})` : why, {cause: error})
  }

  return error as Error
}

/**
 * Downloads the gzip program at `url` into `dest` (a new file), checking it as it arrives.
 * Throws FetchFailure with a one-line reason, or InterruptedError when `signal` aborts.
 */
export async function downloadProgram(opts: {
  client: HttpClient
  url: URL
  dest: string
  platform: Platform
  checksum?: Checksum
  maxBytes?: number
  signal?: AbortSignal
}): Promise<Downloaded> {
  const max = opts.maxBytes ?? MAX_PROGRAM_BYTES
  const res = await opts.client.get(opts.url)
  if (res.length !== undefined && res.length > max) {
    res.body.destroy()
    throw new FetchFailure(`too large: ${formatBytes(res.length)} to download, more than ${formatBytes(max)}`)
  }

  const packed = createHash('sha256')
  // What arrived: the whole body (complete) or part of it, to tell a cut transfer from bad data.
  const got = {
    url: res.url, length: res.length, received: 0, complete: false,
  }
  let bytes = 0
  let head = Buffer.alloc(0)
  try {
    await pipeline(
      res.body,
      async function * (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          got.received += chunk.length
          if (got.received > max) throw new FetchFailure(`too large: more than ${formatBytes(max)} to download`)
          packed.update(chunk)
          yield chunk
        }

        got.complete = true
      },
      createGunzip(),
      async function * (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length
          if (bytes > max) throw new FetchFailure(`too large: the program unpacks to more than ${formatBytes(max)}`)
          if (head.length < PROGRAM_HEADER_BYTES) head = Buffer.concat([head, chunk.subarray(0, PROGRAM_HEADER_BYTES - head.length)])
          yield chunk
        }
      },
      // flush: the data reaches the disk before the entry's record says it is there.
      createWriteStream(opts.dest, {flags: 'wx', mode: 0o700, flush: true}),
      {signal: opts.signal},
    )
  } catch (error) {
    if (opts.signal?.aborted) throw InterruptedError.of(opts.signal)
    throw transferFailure(error, got)
  }

  if (opts.checksum) {
    const got = packed.digest('hex')
    if (got !== opts.checksum.sha256) {
      throw new FetchFailure(`checksum mismatch: ${bareUrl(opts.url)} has SHA-256 ${got.slice(0, 16)}…, ${opts.checksum.from} says ${opts.checksum.sha256.slice(0, 16)}…`)
    }
  }

  const problem = programFormatProblem(head, opts.platform)
  if (problem) throw new FetchFailure(`damaged: the download is ${problem}`)
  return {bytes, compressedBytes: got.received}
}

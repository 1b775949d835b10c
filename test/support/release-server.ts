// A real HTTP server on 127.0.0.1 laid out like GitHub's releases (`/download/<tag>/<asset>`), for
// tests of module binary downloads. Each path gets a behaviour; anything else is a 404. Every
// request is recorded (method, path, headers). Also a forward proxy (CONNECT tunnels and
// absolute-form requests) that records what passes through it.

import {createHash} from 'node:crypto'
import {
  createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse,
} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {connect, type Socket} from 'node:net'
import {gzipSync} from 'node:zlib'

/** Sends the whole body, with a Content-Length unless `chunked`. */
type FileRoute = {kind: 'file'; body: Buffer; chunked?: boolean}
/** Sends `sendBytes` of the body (after a Content-Length of the whole, unless chunked), then closes the connection. */
type TruncateRoute = {kind: 'truncate'; body: Buffer; sendBytes: number; chunked?: boolean}
/** Answers nothing until the server stops. */
type HangRoute = {kind: 'hang'}
/** Sends the headers and `sendBytes` of the body, then nothing until the server stops. */
type StallRoute = {kind: 'stall'; body: Buffer; sendBytes: number}
type RedirectRoute = {kind: 'redirect'; to: string; status?: number}
type StatusRoute = {kind: 'status'; status: number}

export type Route = FileRoute | HangRoute | RedirectRoute | StallRoute | StatusRoute | TruncateRoute

export type Requested = {method: string; path: string; headers: Record<string, string | string[] | undefined>}

export type ReleaseServer = {
  /** http://127.0.0.1:<port> (or https://…) */
  origin: string
  /** the value for PROJECT_PLANTON_RELEASES_URL */
  base: string
  requests: Requested[]
  route(path: string, route: Route): void
  /** `/download/<tag>/<asset>` */
  asset(tag: string, asset: string, route: Route): void
  /** resolves when a request for `path` has arrived (and, for stall, the first bytes are sent) */
  waitFor(path: string): Promise<void>
  stop(): Promise<void>
}

export function gzipProgram(text: string | Buffer): Buffer {
  return gzipSync(typeof text === 'string' ? Buffer.from(text) : text)
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A program a test can recognise when it runs: appends `marker` and its arguments to `runsFile`. */
export function recordingProgram(marker: string, runsFile: string): string {
  return `#!/bin/sh\nprintf '%s %s\\n' '${marker}' "$*" >> '${runsFile}'\n`
}

/**
 * Starts `server` on a free port of 127.0.0.1, keeping its connections in `sockets` (with the
 * tunnels a caller adds) so that `stop` ends them all at once.
 */
async function listenLocal(server: Server, sockets = new Set<Socket>()): Promise<{port: number; sockets: Set<Socket>; stop(): Promise<void>}> {
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>(resolve => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as {port: number}
  return {
    port,
    sockets,
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => {
        server.close(() => resolve())
      })
    },
  }
}

export async function startReleaseServer(tls?: {key: string; cert: string}): Promise<ReleaseServer> {
  const routes = new Map<string, Route>()
  const requests: Requested[] = []
  const waiters = new Map<string, Array<() => void>>()
  const sockets = new Set<Socket>()
  const arrived = (p: string) => {
    for (const w of waiters.get(p) ?? []) w()
    waiters.delete(p)
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const reqPath = new URL(req.url ?? '/', 'http://x').pathname
    requests.push({method: req.method ?? '', path: reqPath, headers: req.headers})
    const route = routes.get(reqPath)
    if (!route) {
      res.writeHead(404, {'content-type': 'text/plain'}).end('Not Found')
      arrived(reqPath)
      return
    }

    switch (route.kind) {
    case 'file': {
      res.writeHead(200, {'content-type': 'application/octet-stream', ...(route.chunked ? {} : {'content-length': String(route.body.length)})})
      res.end(route.body)
      arrived(reqPath)
      break
    }

    case 'hang': {
      arrived(reqPath)
      break
    }

    case 'redirect': {
      res.writeHead(route.status ?? 302, {location: route.to}).end()
      arrived(reqPath)
      break
    }

    case 'stall': {
      res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': String(route.body.length)})
      res.write(route.body.subarray(0, route.sendBytes), () => arrived(reqPath))
      break
    }

    case 'status': {
      res.writeHead(route.status).end(`status ${route.status}`)
      arrived(reqPath)
      break
    }

    case 'truncate': {
      res.writeHead(200, {'content-type': 'application/octet-stream', ...(route.chunked ? {} : {'content-length': String(route.body.length)})})
      res.write(route.body.subarray(0, route.sendBytes), () => {
        if (route.chunked) {
          // End the chunked body properly: the data itself is what is cut short.
          res.end()
        } else {
          res.socket?.destroy()
        }

        arrived(reqPath)
      })
      break
    }
    }
  }

  const server: Server = tls ? createHttpsServer({key: tls.key, cert: tls.cert}, handler) : createHttpServer(handler)
  const {port, stop} = await listenLocal(server, sockets)
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`
  return {
    origin,
    base: `${origin}/releases`,
    requests,
    route(p, r) {
      routes.set(p, r)
    },
    asset(tag, asset, r) {
      routes.set(`/releases/download/${tag}/${asset}`, r)
    },
    waitFor(p) {
      return new Promise(resolve => {
        waiters.set(p, [...(waiters.get(p) ?? []), resolve])
      })
    },
    stop,
  }
}

export type Proxy = {url: string; tunnels: string[]; forwarded: string[]; stop(): Promise<void>}

/** An HTTP proxy on 127.0.0.1: CONNECT tunnels and absolute-form requests, each recorded. */
export async function startProxy(): Promise<Proxy> {
  const tunnels: string[] = []
  const forwarded: string[] = []
  const sockets = new Set<Socket>()
  const server = createHttpServer((req, res) => {
    forwarded.push(req.url ?? '')
    const target = new URL(req.url ?? '')
    const upstream = httpRequest({
      host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers,
    }, up => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '')
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  const {port, stop} = await listenLocal(server, sockets)
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    stop,
  }
}

import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {
  createServer, type IncomingMessage, type Server, type ServerResponse,
} from 'node:http'
import {type AddressInfo, type Socket} from 'node:net'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import {InterruptedError, InvalidInputError} from '../../src/core/errors.js'
import {
  DOWNLOAD_TIMEOUTS, downloadTimeouts, MAX_MANIFEST_BYTES, readManifestText,
} from '../../src/core/manifest-source.js'
import {ROOT} from '../support/cli.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

const YAML = 'apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\n'

async function failure<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(type)
    return error as T
  }

  return expect.fail('read the manifest')
}

/**
 * Reads `file` with readManifestText in a child process, with `then` run (as module code, with
 * `controller` and `blockedInOpen()` in scope) right after the read started; returns what the read
 * gave or threw. The child must end by itself: it is given 50 s before it counts as hung.
 */
function readInChild(file: string, then: string, opts: {limit?: number} = {}): Record<string, unknown> {
  const script = `
    import {constants, openSync, readdirSync, readFileSync, writeSync} from 'node:fs'
    const {readManifestText} = await import(${JSON.stringify(path.join(ROOT, 'src/core/manifest-source.ts'))})
    // A thread of this process is in a FIFO open that waits for the other end (Linux).
    const blockedInOpen = () => readdirSync('/proc/self/task').some(t => {
      try { return readFileSync('/proc/self/task/' + t + '/wchan', 'utf8') === 'wait_for_partner' } catch { return false }
    })
    const controller = new AbortController()
    const reading = readManifestText(${JSON.stringify(file)}, {signal: controller.signal, limit: ${opts.limit ?? 'undefined'}})
    ${then}
    try {
      console.log(JSON.stringify(await reading))
    } catch (error) {
      console.log(JSON.stringify({error: error.constructor.name, ...(error.signal ? {signal: error.signal} : {message: error.message})}))
    }
  `
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8', timeout: 50_000})
  expect(child.error, `the child did not exit: ${child.stdout}${child.stderr}`).to.equal(undefined)
  expect(child.status, child.stderr).to.equal(0)
  return JSON.parse(child.stdout) as Record<string, unknown>
}

function fifo(): string {
  const file = path.join(makeTempDir('pp-fifo-'), 'manifest.yaml')
  execFileSync('mkfifo', [file])
  return file
}

describe('manifest source', () => {
  after(removeTempDirs)

  describe('a file', () => {
    it('is read whole, and named as given', async () => {
      const file = path.join(makeTempDir('pp-src-'), 'm.yaml')
      writeFileSync(file, YAML)
      expect(await readManifestText(file)).to.deep.equal({text: YAML, source: file})
    })

    it('up to the size limit, and refused one byte above it before it is read', async () => {
      const dir = makeTempDir('pp-src-')
      writeFileSync(path.join(dir, 'at.yaml'), 'x'.repeat(64))
      writeFileSync(path.join(dir, 'over.yaml'), 'x'.repeat(65))
      expect((await readManifestText(path.join(dir, 'at.yaml'), {limit: 64})).text).to.have.length(64)
      const error = await failure(readManifestText(path.join(dir, 'over.yaml'), {limit: 64}), InvalidInputError)
      expect(error.message).to.match(/^manifest \S+over\.yaml is larger than/)
      // The default limit is 1 MiB.
      writeFileSync(path.join(dir, 'big.yaml'), Buffer.alloc(MAX_MANIFEST_BYTES + 1, 'a'))
      expect((await failure(readManifestText(path.join(dir, 'big.yaml')), InvalidInputError)).message).to.contain('larger than 1024 KiB')
    })

    it('that is missing, or a folder, is a clear input error', async () => {
      const dir = makeTempDir('pp-src-')
      expect((await failure(readManifestText(path.join(dir, 'nope.yaml')), InvalidInputError)).message).to.equal(`cannot read manifest ${path.join(dir, 'nope.yaml')}: no such file`)
      mkdirSync(path.join(dir, 'folder.yaml'))
      expect((await failure(readManifestText(path.join(dir, 'folder.yaml')), InvalidInputError)).message).to.contain('it is a folder')
    })
  })

  describe('stdin (-)', () => {
    it('is read to its end from the stream given', async () => {
      const stdin = new PassThrough()
      const reading = readManifestText('-', {stdin})
      stdin.write(YAML.slice(0, 10))
      stdin.end(YAML.slice(10))
      expect(await reading).to.deep.equal({text: YAML, source: '<stdin>'})
    })

    it('stops at the size limit and lets go of the stream', async () => {
      const stdin = new PassThrough()
      const reading = readManifestText('-', {stdin, limit: 8})
      stdin.write('12345678')
      stdin.write('9')
      expect((await failure(reading, InvalidInputError)).message).to.match(/^manifest <stdin> is larger than/)
      expect(stdin.destroyed).to.equal(true)
    })

    it('a signal stops a stdin that never ends, with the exit code of that signal', async () => {
      const stdin = new PassThrough()
      const controller = new AbortController()
      const reading = readManifestText('-', {stdin, signal: controller.signal})
      stdin.write('kind: Kub')
      controller.abort('SIGTERM')
      const error = await failure(reading, InterruptedError)
      expect(error.signal).to.equal('SIGTERM')
      expect(error.exitCode).to.equal(143)
      expect(stdin.destroyed).to.equal(true)
    })

    it('a signal that came before reading stops it at once', async () => {
      const stdin = new PassThrough()
      const controller = new AbortController()
      controller.abort()
      const error = await failure(readManifestText('-', {stdin, signal: controller.signal}), InterruptedError)
      expect(error.signal).to.equal('SIGINT')
      expect(error.exitCode).to.equal(130)
    })
  })

  describe('an http(s) URL', () => {
    let server: Server
    let base: string
    let requests: IncomingMessage[] = []
    const sockets = new Set<Socket>()
    const routes: Record<string, (res: ServerResponse) => void> = {
      '/good.yaml'(res) {
        res.end(YAML)
      },
      '/moved'(res) {
        res.writeHead(302, {location: '/good.yaml'})
        res.end()
      },
      '/declared-too-big'(res) {
        // Says it is big and sends nothing: only the declared length can refuse it.
        res.writeHead(200, {'content-length': String(MAX_MANIFEST_BYTES + 1)})
        res.flushHeaders()
      },
      '/streamed-too-big'(res) {
        res.write('x'.repeat(40))
        res.end('x'.repeat(40))
      },
      '/silent'() {
        // Never answers.
      },
      '/stalls'(res) {
        res.writeHead(200)
        res.write('kind: ')
      },
    }

    before(async () => {
      server = createServer((req, res) => {
        requests.push(req)
        const route = routes[req.url ?? '']
        if (route) route(res)
        else {
          res.statusCode = 404
          res.end('not here')
        }
      })
      server.on('connection', socket => {
        sockets.add(socket)
      })
      await new Promise<void>(resolve => {
        server.listen(0, '127.0.0.1', resolve)
      })
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    beforeEach(() => {
      requests = []
    })

    after(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => {
        server.close(resolve)
      })
    })

    it('is downloaded (redirects followed), with a notice that plain http can be changed on the way', async () => {
      const notes: string[] = []
      expect(await readManifestText(`${base}/moved`, {warn: l => notes.push(l)})).to.deep.equal({text: YAML, source: `${base}/moved`})
      expect(requests.map(r => r.url)).to.deep.equal(['/moved', '/good.yaml'])
      expect(notes).to.deep.equal([`downloading ${base}/moved over plain http: anyone on the way can change it`])
    })

    it('is refused by its declared size before its body is read, and by the bytes that came when it has none', async () => {
      expect((await failure(readManifestText(`${base}/declared-too-big`), InvalidInputError)).message).to.contain('is larger than 1024 KiB')
      expect((await failure(readManifestText(`${base}/streamed-too-big`, {limit: 64}), InvalidInputError)).message).to.match(/streamed-too-big is larger than/)
    })

    it('a server that does not answer, or stops in the middle, is an error that says which', async () => {
      // Each wait is long only where the server does answer, so a slow machine cannot swap the two.
      const silent = readManifestText(`${base}/silent`, {timeouts: {headersMs: 200, totalMs: 60_000}})
      expect((await failure(silent, InvalidInputError)).message).to.equal(`cannot download manifest ${base}/silent: no answer within 0.2 s`)
      const stalls = readManifestText(`${base}/stalls`, {timeouts: {headersMs: 60_000, totalMs: 400}})
      expect((await failure(stalls, InvalidInputError)).message).to.equal(`cannot download manifest ${base}/stalls: no end of the download within 0.4 s`)
    })

    it('a signal stops the wait for an answer: interrupted, not a timeout', async () => {
      const controller = new AbortController()
      const reading = readManifestText(`${base}/silent`, {signal: controller.signal})
      while (!requests.some(r => r.url === '/silent')) await new Promise(resolve => {
        setImmediate(resolve)
      })
      controller.abort('SIGTERM')
      const error = await failure(reading, InterruptedError)
      expect(error.signal).to.equal('SIGTERM')
    })

    it('a server that refuses the connection is a clear error', async () => {
      const closed = createServer()
      await new Promise<void>(resolve => {
        closed.listen(0, '127.0.0.1', resolve)
      })
      const {port} = closed.address() as AddressInfo
      await new Promise(resolve => {
        closed.close(resolve)
      })
      expect((await failure(readManifestText(`http://127.0.0.1:${port}/m.yaml`), InvalidInputError)).message).to.equal(`cannot download manifest http://127.0.0.1:${port}/m.yaml: ECONNREFUSED`)
    })

    it('PROJECT_PLANTON_HTTP_TIMEOUT sets the wait for an answer, and four times that for the download', () => {
      expect(downloadTimeouts({PROJECT_PLANTON_HTTP_TIMEOUT: '2.5'})).to.deep.equal({headersMs: 2500, totalMs: 10_000})
      for (const value of [undefined, '']) expect(downloadTimeouts({PROJECT_PLANTON_HTTP_TIMEOUT: value}), String(value)).to.equal(DOWNLOAD_TIMEOUTS)
      // Longer than a Node.js timer holds (it would fire at once): capped there.
      expect(downloadTimeouts({PROJECT_PLANTON_HTTP_TIMEOUT: '3000000'})).to.deep.equal({headersMs: 2_147_483_647, totalMs: 2_147_483_647})
    })

    it('PROJECT_PLANTON_HTTP_TIMEOUT that is not a positive number of seconds is an input error naming it', () => {
      for (const value of ['0', '-1', 'soon', '2m', 'Infinity', '1e3']) {
        expect(() => downloadTimeouts({PROJECT_PLANTON_HTTP_TIMEOUT: value}), value).to.throw(InvalidInputError, 'PROJECT_PLANTON_HTTP_TIMEOUT')
      }
    })
  })

  describe('a FIFO (-f <(…))', () => {
    // Each read of a FIFO runs in a child process of its own, as in the CLI (one manifest per
    // process): a reader that cannot be stopped shows as a child that never exits.
    before(function () {
      if (!existsSync('/proc/self/task')) {
        console.log('      skipped: no /proc to see a blocked FIFO open in')
        this.skip()
      }
    })

    it('is read as a stream', () => {
      const file = fifo()
      const writer = spawn('sh', ['-c', `printf '%s' "$0" > '${file}'`, YAML])
      writer.on('error', () => {})
      expect(readInChild(file, '')).to.deep.equal({text: YAML, source: file})
    })

    it('is refused above the size limit, and the reading stops', () => {
      const file = fifo()
      // The writer is cut off when the reader gives up: its exit status does not matter.
      spawn('sh', ['-c', `head -c 100000 /dev/zero > '${file}'`]).on('error', () => {})
      expect(readInChild(file, '', {limit: 4096})).to.deep.equal({error: 'InvalidInputError', message: `manifest ${file} is larger than 4 KiB`})
    })

    it('lets go of the FIFO for good: collecting garbage later closes no other file', () => {
      // The reader's descriptor number is free again once the read is over; a file opened after
      // it gets that number, and must stay open however much garbage is collected.
      const file = fifo()
      spawn('sh', ['-c', `printf '%s' "$0" > '${file}'`, YAML]).on('error', () => {})
      const script = `
        import {fstatSync, openSync} from 'node:fs'
        const {readManifestText} = await import(${JSON.stringify(path.join(ROOT, 'src/core/manifest-source.ts'))})
        await readManifestText(${JSON.stringify(file)})
        const other = openSync(${JSON.stringify(path.join(ROOT, 'package.json'))}, 'r')
        for (let i = 0; i < 5; i++) {
          globalThis.gc()
          await new Promise(resolve => setTimeout(resolve, 20))
        }
        fstatSync(other)
        console.log('open')
      `
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8', timeout: 50_000})
      expect(child.stdout.trim(), child.stderr).to.equal('open')
    })

    it('a signal stops the wait for a writer that never comes, and the process can exit', () => {
      const file = fifo()
      expect(readInChild(file, `
        while (!blockedInOpen()) await new Promise(resolve => setImmediate(resolve))
        controller.abort('SIGTERM')
      `)).to.deep.equal({error: 'InterruptedError', signal: 'SIGTERM'})
    })

    it('a signal stops the wait for data from a writer that stays silent, and the process can exit', () => {
      const file = fifo()
      // The child itself opens the FIFO for writing once its reader waits, writes a little, and
      // keeps the writing end open: only the reader letting go of its end lets the child exit.
      expect(readInChild(file, `
        while (!blockedInOpen()) await new Promise(resolve => setImmediate(resolve))
        const fd = openSync(${JSON.stringify(file)}, constants.O_WRONLY | constants.O_NONBLOCK)
        writeSync(fd, 'kind: ')
        // Turns of the event loop in which the reader takes these bytes and waits for more (no
        // result depends on how many it needs).
        for (let i = 0; i < 20; i++) await new Promise(resolve => setTimeout(resolve, 5))
        controller.abort('SIGINT')
      `)).to.deep.equal({error: 'InterruptedError', signal: 'SIGINT'})
    })
  })
})

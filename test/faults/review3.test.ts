// Cases of a third outside review: a home whose records are not regular files, what `staging
// clean` finds in the cache folder, and environment variables with odd values. Each fails on the
// code it was written against; each says what a user would check.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {createUpstream, manifestYaml, removeTempDirs} from '../support/upstream.js'
import {cli} from './sandbox.js'
import {badInput, fault} from './tally.js'
import {TOFU, warmSuite} from './warm-suite.js'

/** Puts a sparse file of 3 GiB (more than readFile takes) where the CLI keeps one of its records. */
function hugeAt(sb: Sandbox, rel: string): void {
  const file = path.join(sb.plantonHome, rel)
  mkdirSync(path.dirname(file), {recursive: true})
  rmSync(file, {force: true})
  execFileSync('truncate', ['-s', '3G', file])
}

/** A git repository served over git's "dumb" HTTP protocol (its files as they are), behind basic authentication. */
function dumbHttp(repo: string, user: string, password: string): Server {
  const allowed = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  return createServer((req, res) => {
    if (req.headers.authorization !== allowed) {
      res.writeHead(401, {'www-authenticate': 'Basic realm="upstream"'})
      res.end()
      return
    }

    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/repo\.git\//, '')
    const file = path.join(repo, '.git', rel)
    if (rel.includes('..') || !existsSync(file)) {
      res.writeHead(404)
      res.end()
      return
    }

    res.end(readFileSync(file))
  })
}

/** Whether the group or others may read a file of this mode. */
function readableByOthers(mode: number): boolean {
  return Math.floor(mode / 0o10) % 0o10 >= 4 || mode % 0o10 >= 4
}

/** Regular files below `dir` whose content holds `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name)
    const st = lstatSync(abs)
    if (st.isDirectory()) found.push(...filesHolding(abs, secret))
    else if (st.isFile() && readFileSync(abs).includes(secret)) found.push(abs)
  }

  return found
}

/** Puts a FIFO where the CLI keeps one of its records (no writer ever opens it). */
function fifoAt(sb: Sandbox, rel: string): void {
  const file = path.join(sb.plantonHome, rel)
  mkdirSync(path.dirname(file), {recursive: true})
  rmSync(file, {force: true})
  execFileSync('mkfifo', [file])
}

describe('faults: a third outside review (records that are not files, staging clean, odd environment)', () => {
  const suite = warmSuite('pp-review3-')
  const {fresh, start} = suite

  before(async function () {
    this.timeout(120_000)
    await suite.setUp()
  })

  afterEach(() => suite.killLeftovers())

  after(() => removeTempDirs())

  describe('a home whose records are FIFOs (a hang fails the case by its own timeout; no duration is asserted)', () => {
    // What must hold for each: the command reads only regular files as its records and finishes on
    // its own, reporting the entry as damaged (or ignoring it); it never waits for a writer that
    // never comes. Today each read blocks in open(2) until Ctrl-C.

    it('staging status --json with staging/state.json a FIFO finishes (src/core/staging.ts readState)', async function () {
      this.timeout(30_000)
      await fault(async () => {
        const sb = fresh()
        fifoAt(sb, 'staging/state.json')
        const r = await start(['staging', 'status', '--json'], sb).done
        expect(r.code, r.stderr).to.be.a('number')
      })
    })

    it('doctor with a FIFO as a module binary\'s record.json finishes (src/core/binaries/cache.ts records)', async function () {
      this.timeout(30_000)
      await fault(async () => {
        const sb = fresh()
        fifoAt(sb, 'cache/binaries/v0.2.0_kubernetesredis_linux_amd64/record.json')
        const r = await start(['doctor'], sb).done
        expect(r.code, r.stderr).to.be.a('number')
      })
    })

    it('staging clean with a FIFO as a workspace\'s run.json finishes and leaves that folder (src/core/workspace.ts readRecord)', async function () {
      this.timeout(30_000)
      await fault(async () => {
        const sb = fresh()
        fifoAt(sb, 'workspaces/kubernetesredis+redis-demo-abc123-4242-abcdef/run.json')
        const r = await start(['staging', 'clean'], sb).done
        expect(r.code, r.stderr).to.equal(0)
      })
    })

    it('staging status --json with a FIFO as a snapshot\'s index.json finishes (src/core/snapshot.ts)', async function () {
      this.timeout(30_000)
      await fault(async () => {
        const sb = fresh()
        fifoAt(sb, `cache/snapshots/${'a'.repeat(32)}/index.json`)
        const r = await start(['staging', 'status', '--json'], sb).done
        expect(r.code, r.stderr).to.equal(0)
      })
    })
  })

  describe('a home whose records are too big to be records', () => {
    it('a 3 GiB run.json in a workspace folder: status and clean finish, not crash with a raw RangeError (src/core/workspace.ts readRecord)', async () => fault(async () => {
      const sb = fresh()
      hugeAt(sb, 'workspaces/kubernetesredis+redis-demo-abc123-4242-abcdef/run.json')
      // What must hold: a record that cannot be one (too big, not JSON, not a file) makes the folder
      // "not ours" (listed, never removed), as a record that is not JSON already does; status and
      // clean finish with exit 0. Today both exit 1 with "RangeError: File size (3221225472) is
      // greater than 2 GiB" (readRecord rethrows every error but ENOENT, EISDIR and ENOTDIR).
      const st = await cli(sb, ['staging', 'status', '--json'])
      expect(st.stdout + st.stderr).to.not.contain('RangeError')
      expect(st.code, st.stdout + st.stderr).to.equal(0)
      const clean = await cli(sb, ['staging', 'clean'])
      expect(clean.stderr).to.not.contain('RangeError')
      expect(clean.code, clean.stderr).to.equal(0)
    }))

    it('a 3 GiB index.json in a snapshot folder: clean finishes (src/core/snapshot.ts readIndex)', async () => fault(async () => {
      const sb = fresh()
      hugeAt(sb, `cache/snapshots/${'a'.repeat(32)}/index.json`)
      // What must hold: a damaged snapshot is removed (or skipped) and clean exits 0. Today: exit 1,
      // "RangeError: File size (3221225472) is greater than 2 GiB".
      const r = await cli(sb, ['staging', 'clean'])
      expect(r.stderr).to.not.contain('RangeError')
      expect(r.code, r.stderr).to.equal(0)
    }))
  })

  describe('staging clean and what it did not make', () => {
    it('a folder named like a schema in cache/schemas is left alone, not a crash with a raw EISDIR (src/core/schema/cache.ts clearSchemas)', async () => fault(async () => {
      const sb = fresh()
      const mine = path.join(sb.plantonHome, 'cache', 'schemas', 'notes.schema')
      mkdirSync(path.join(mine, 'inside'), {recursive: true})
      writeFileSync(path.join(mine, 'inside', 'keep.txt'), 'mine\n')
      const r = await cli(sb, ['staging', 'clean'])
      // What must hold: clean removes only the schema files it wrote (regular files) and finishes
      // with exit 0; a folder it did not make stays as it is. Today: "SystemError: Path is a
      // directory: rm returned EISDIR", exit 1, and the rest of the cleaning is skipped.
      expect(r.stderr).to.not.match(/EISDIR|SystemError/)
      expect(r.code, r.stderr).to.equal(0)
    }))
  })

  describe('credentials in PROJECT_PLANTON_REPO_URL', () => {
    it('a token in the upstream URL is not left in files of the home that other users can read', async () => fault(async () => {
      const up = createUpstream()
      execFileSync('git', ['update-server-info'], {cwd: up.dir})
      const token = 'tok3n-only-alice-may-read'
      const server = dumbHttp(up.dir, 'alice', token)
      await new Promise<void>(resolve => {
        server.listen(0, '127.0.0.1', resolve)
      })
      try {
        const {port} = server.address() as AddressInfo
        const sb = sandbox(`http://alice:${token}@127.0.0.1:${port}/repo.git`, {GIT_TERMINAL_PROMPT: '0'})
        const r = await cli(sb, ['staging', 'pull'])
        expect(r.code, r.stderr).to.equal(0)
        expect(r.stdout + r.stderr).to.not.contain(token)
        // What must hold: like the stack input (0600), a secret the CLI keeps on disk is readable by
        // its owner only, or not kept at all (the URL recorded without its credentials, which git
        // gets per command). Today state.json (written 0644 by writeFileAtomic) and the clone's
        // .git/config (git's default) hold the token in a home other users can read.
        const readable = filesHolding(sb.plantonHome, token).filter(f => readableByOthers(statSync(f).mode))
        expect(readable.map(f => path.relative(sb.plantonHome, f))).to.deep.equal([])
      } finally {
        await new Promise<void>(resolve => {
          server.close(() => resolve())
        })
      }
    }))
  })

  describe('environment variables with odd values', () => {
    let server: Server
    let url: string

    before(async () => {
      const text = manifestYaml({labels: TOFU, name: 'redis-demo', spec: {namespace: {value: 'ns'}, container: {replicas: 1}}})
      server = createServer((_req, res) => {
        res.writeHead(200, {'content-type': 'application/yaml'})
        res.end(text)
      })
      await new Promise<void>(resolve => {
        server.listen(0, '127.0.0.1', resolve)
      })
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/redis.yaml`
    })

    after(() => new Promise<void>(resolve => {
      server.close(() => resolve())
    }))

    it('a large PROJECT_PLANTON_HTTP_TIMEOUT (35 days) waits, not times out at once claiming it waited (src/core/manifest-source.ts downloadTimeouts)', async function () {
      this.timeout(120_000)
      await fault(async () => {
        const sb = fresh()
        const r = await cli(sb, ['tofu', 'plan', '-f', url], {env: {PROJECT_PLANTON_HTTP_TIMEOUT: '3000000'}, cwd: suite.files})
        // What must hold: a timeout longer than a timer can hold (2^31-1 ms, ~24.8 days) is capped
        // (or refused as an input error naming the variable); the server answers in milliseconds, so
        // the plan runs. Today setTimeout overflows to 1 ms: Node prints a TimeoutOverflowWarning and
        // the run fails at once with "no answer within 3000000 s".
        expect(r.stderr).to.not.contain('TimeoutOverflowWarning')
        expect(r.stderr).to.not.match(/no answer within/)
        expect(r.code, r.stderr).to.equal(0)
      })
    })

    it('a PROJECT_PLANTON_HTTP_TIMEOUT that is not a number of seconds ("2m") is an input error, not silently the default', async () => badInput(async () => {
      const sb = fresh()
      const r = await cli(sb, ['tofu', 'plan', '-f', url], {env: {PROJECT_PLANTON_HTTP_TIMEOUT: '2m'}, cwd: suite.files})
      // What must hold: as for PROJECT_PLANTON_STAGING and PROJECT_PLANTON_MODULE_BINARY, a value
      // the CLI cannot use is reported (exit 2, naming the variable) rather than replaced by the
      // default the user meant to change. Today "2m", "abc" and "-5" are ignored without a word.
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.contain('PROJECT_PLANTON_HTTP_TIMEOUT')
    }))
  })
})

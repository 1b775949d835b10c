// A stand-in `pulumi` executable for tests. It records every invocation as one
// JSON line and exits as configured through environment variables:
//
//   PULUMI_STAND_IN_RECORD        record file (default <binDir>/records.jsonl)
//   PULUMI_STAND_IN_EXIT          exit code (default 0)
//   PULUMI_STAND_IN_EXIT_ON       optional: apply PULUMI_STAND_IN_EXIT only when the
//                                 command words start with this (e.g. "up", "stack init")
//   PULUMI_STAND_IN_STDERR        text written to stderr before exiting (only when
//                                 PULUMI_STAND_IN_EXIT_ON, if set, matches)
//   PULUMI_STAND_IN_STDOUT        text written to stdout before exiting
//   PULUMI_STAND_IN_SLEEP_MS      after recording, print "stand-in: waiting" and wait;
//                                 SIGINT/SIGTERM append the record again with a "signal"
//                                 field ("SIGINT"/"SIGTERM") and exit 130/143
//   PULUMI_STAND_IN_LINGER_MS     with SLEEP_MS: after the first signal, keep recording signals
//                                 for this long before exiting (to see duplicates)
//   PULUMI_STAND_IN_STACK_EXISTS  "1": `stack init` fails with "already exists" (exit 255)
//   PULUMI_STAND_IN_GO_BUILD      "1": for up/preview/refresh/destroy in a workspace whose
//                                 Pulumi.yaml names no binary, run `go build -o <temp file> .` in
//                                 it first, as Pulumi's Go runtime does (go from PATH); its exit
//                                 code is recorded as "goBuildExit"
//
// When the Pulumi.yaml in the working folder has `runtime.options.binary` (a module binary), the
// record holds it as "binary", and for up/preview/refresh/destroy the stand-in runs that program
// (with its own environment and folder, as Pulumi's Go runtime does) before recording; the
// program's exit code is "binaryExit" (or "binaryError" when it could not start), and the stand-in
// fails with exit code 1 when the program did.
//
// Each record also says whether the stand-in's stdin was a terminal ("tty").
//
// `pulumi` is a /bin/sh wrapper that execs node (by absolute path) on
// pulumi-stand-in.cjs, so it works regardless of any package.json "type" and
// signals reach the node process directly.

import {
  chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

export type PulumiRecord = {
  argv: string[]
  cwd: string
  env: Record<string, string | undefined>
  files: string[]
  signal?: string
  tty?: boolean
  stackInput?: string
  stackInputMode?: number
  /** runtime.options.binary of the Pulumi.yaml in cwd */
  binary?: string
  binaryExit?: number | null
  binaryError?: string
  goBuildExit?: number | null
}

/** Environment variables captured in each record (plus every PULUMI_* and PROJECT_PLANTON_* variable). */
export const RECORDED_ENV = ['STACK_INPUT_YAML_FILE', 'KUBE_CTX', 'KUBECONFIG', 'PULUMI_HOME', 'GOWORK', 'GOFLAGS', 'GOPATH', 'GOCACHE'] as const

const STAND_IN_JS = String.raw`'use strict'
const fs = require('node:fs')
const path = require('node:path')
const {spawnSync} = require('node:child_process')
const YAML_MODULE = __YAML_MODULE__

const RECORDED_ENV = ${JSON.stringify(RECORDED_ENV)}
const env = process.env
const argv = process.argv.slice(2)
const cwd = process.cwd()
const recordFile = env.PULUMI_STAND_IN_RECORD || path.join(__dirname, 'records.jsonl')

function listFiles(root) {
  const out = []
  const walk = (dir, prefix) => {
    let entries
    try {
      entries = fs.readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      const rel = prefix ? prefix + '/' + e.name : e.name
      if (e.isDirectory()) {
        if (e.name === '.git') continue
        walk(path.join(dir, e.name), rel)
      } else {
        out.push(rel)
      }
    }
  }
  walk(root, '')
  return out.sort()
}

function pickEnv() {
  const picked = {}
  for (const k of RECORDED_ENV) if (env[k] !== undefined) picked[k] = env[k]
  for (const k of Object.keys(env)) {
    if ((k.startsWith('PULUMI_') || k.startsWith('PROJECT_PLANTON_')) && !k.startsWith('PULUMI_STAND_IN_')) picked[k] = env[k]
  }
  return picked
}

function append(obj) {
  fs.mkdirSync(path.dirname(recordFile), {recursive: true})
  fs.appendFileSync(recordFile, JSON.stringify(obj) + '\n')
}

const record = {argv, cwd, env: pickEnv(), files: listFiles(cwd), tty: Boolean(process.stdin.isTTY)}
if (env.STACK_INPUT_YAML_FILE) {
  try {
    record.stackInput = fs.readFileSync(env.STACK_INPUT_YAML_FILE, 'utf8')
    record.stackInputMode = fs.statSync(env.STACK_INPUT_YAML_FILE).mode & 0o777
  } catch (error) {
    record.stackInputError = String(error && error.message)
  }
}
// command words: leading non-flag arguments, e.g. ["stack", "init", "dev"]
const words = []
for (const a of argv) {
  if (a.startsWith('-')) break
  words.push(a)
}

function moduleBinary() {
  let text
  try {
    text = fs.readFileSync(path.join(cwd, 'Pulumi.yaml'), 'utf8')
  } catch {
    return undefined
  }
  let doc
  try {
    doc = require(YAML_MODULE).parse(text)
  } catch (error) {
    record.pulumiYamlError = String(error && error.message)
    return undefined
  }
  const binary = doc && doc.runtime && doc.runtime.options && doc.runtime.options.binary
  return typeof binary === 'string' ? binary : undefined
}

const runsProgram = ['up', 'preview', 'refresh', 'destroy'].includes(words[0])
const binary = moduleBinary()
let programFailed = false
if (binary) {
  record.binary = binary
  if (runsProgram) {
    const r = spawnSync(binary, [], {cwd, env, stdio: 'inherit'})
    if (r.error) record.binaryError = String(r.error.code || r.error.message)
    else record.binaryExit = r.status
    programFailed = Boolean(r.error) || r.status !== 0
  }
} else if (runsProgram && env.PULUMI_STAND_IN_GO_BUILD === '1') {
  const out = path.join(require('node:os').tmpdir(), 'pulumi-stand-in-program-' + process.pid)
  const r = spawnSync('go', ['build', '-o', out, '.'], {cwd, env, stdio: 'inherit'})
  record.goBuildExit = r.error ? null : r.status
  fs.rmSync(out, {force: true})
}

append(record)
if (programFailed) {
  fs.writeSync(2, 'error: the program ' + binary + ' failed\n')
  process.exit(1)
}

function stackName() {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--stack' || a === '-s') return argv[i + 1]
    if (a.startsWith('--stack=')) return a.slice('--stack='.length)
  }
  return words[2] || 'dev'
}

function exitApplies() {
  const on = (env.PULUMI_STAND_IN_EXIT_ON || '').trim()
  if (!on) return true
  const want = on.split(/\s+/)
  return words.slice(0, want.length).join(' ') === want.join(' ')
}

function finish() {
  const applies = exitApplies()
  if (env.PULUMI_STAND_IN_STDOUT) fs.writeSync(1, env.PULUMI_STAND_IN_STDOUT)
  if (applies && env.PULUMI_STAND_IN_STDERR) fs.writeSync(2, env.PULUMI_STAND_IN_STDERR)
  const code = applies ? Number.parseInt(env.PULUMI_STAND_IN_EXIT || '0', 10) || 0 : 0
  process.exit(code)
}

if (words[0] === 'version' || (argv.length === 1 && argv[0] === '--version')) {
  fs.writeSync(1, 'v3.200.0\n')
  finish()
}

if (words[0] === 'stack' && words[1] === 'init' && env.PULUMI_STAND_IN_STACK_EXISTS === '1') {
  fs.writeSync(2, "error: stack '" + stackName() + "' already exists\n")
  process.exit(255)
}

const sleepMs = Number.parseInt(env.PULUMI_STAND_IN_SLEEP_MS || '', 10)
if (sleepMs > 0) {
  const linger = Number.parseInt(env.PULUMI_STAND_IN_LINGER_MS || '', 10)
  let exiting = false
  const onSignal = (signal, code) => () => {
    append(Object.assign({}, record, {signal}))
    if (!(linger > 0)) process.exit(code)
    if (exiting) return
    exiting = true
    setTimeout(() => process.exit(code), linger)
  }
  process.on('SIGINT', onSignal('SIGINT', 130))
  process.on('SIGTERM', onSignal('SIGTERM', 143))
  fs.writeSync(1, 'stand-in: waiting\n')
  setTimeout(finish, sleepMs)
} else {
  finish()
}
`

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", '\'\\\'\'')}'`
}

/** Write `pulumi` (+ pulumi-stand-in.cjs) into binDir. Put binDir first on PATH to use it. */
export function installPulumiStandIn(binDir: string): {bin: string; recordFile: string} {
  mkdirSync(binDir, {recursive: true})
  const script = join(binDir, 'pulumi-stand-in.cjs')
  writeFileSync(script, STAND_IN_JS.replace('__YAML_MODULE__', JSON.stringify(createRequire(import.meta.url).resolve('yaml'))))
  const bin = join(binDir, 'pulumi')
  writeFileSync(bin, `#!/bin/sh\nexec ${shellQuote(process.execPath)} "$(dirname "$0")/pulumi-stand-in.cjs" "$@"\n`)
  chmodSync(bin, 0o755)
  return {bin, recordFile: join(binDir, 'records.jsonl')}
}

/** Parse the record file (missing file = no records). */
export function readRecords(recordFile: string): PulumiRecord[] {
  if (!existsSync(recordFile)) return []
  return readFileSync(recordFile, 'utf8')
  .split('\n')
  .filter(line => line.trim() !== '')
  .map(line => JSON.parse(line) as PulumiRecord)
}

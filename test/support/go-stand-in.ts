// A stand-in `go` executable for tests (no Go toolchain can be installed here). It records every
// invocation as one JSON line (argv, cwd, the Go variables of its environment, pid) and answers:
//
//   go env GOVERSION   prints the version it was installed with (installGoStandIn's `version`)
//   go version         prints `go version <version> <os>/<arch>`
//   go build … -o OUT  writes an executable program to OUT: a /bin/sh script that appends one JSON
//                      line per run to <binDir>/program-runs.jsonl (build number, the folder it was
//                      built in, argv, STACK_INPUT_YAML_FILE, cwd), so a test can tell which build ran
//
// Set through the environment:
//   GO_STAND_IN_RECORD      record file (default <binDir>/go-records.jsonl)
//   GO_STAND_IN_FAIL        `go build` fails: this text goes to stderr, exit code 1
//   GO_STAND_IN_SLEEP_MS    `go build` first writes half a program to OUT and the file
//                           <binDir>/building (its pid), then waits this long before finishing;
//                           SIGTERM/SIGINT end it at once with 143/130 (as go does)
//   GO_STAND_IN_HOLD_UNTIL  `go build` writes <binDir>/building (its pid) and finishes only once
//                           this file exists
//   GO_STAND_IN_NO_OUTPUT   `go build` exits 0 without writing OUT
//
// Reinstalling with another `version` changes the executable (size and modification time), as
// upgrading Go does.

import {
  chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import {join} from 'node:path'

export type GoRecord = {argv: string[]; cwd: string; env: Record<string, string | undefined>; pid: number}

const STAND_IN_JS = String.raw`'use strict'
const fs = require('node:fs')
const path = require('node:path')

const VERSION = __VERSION__
const env = process.env
const argv = process.argv.slice(2)
const recordFile = env.GO_STAND_IN_RECORD || path.join(__dirname, 'go-records.jsonl')
const picked = {}
for (const k of ['GOFLAGS', 'GOOS', 'GOARCH', 'GOWORK', 'GOTOOLCHAIN', 'CGO_ENABLED']) if (env[k] !== undefined) picked[k] = env[k]
fs.appendFileSync(recordFile, JSON.stringify({argv, cwd: process.cwd(), env: picked, pid: process.pid}) + '\n')

if (argv[0] === 'env' && argv[1] === 'GOVERSION') {
  fs.writeSync(1, VERSION + '\n')
  process.exit(0)
}

if (argv[0] === 'version') {
  fs.writeSync(1, 'go version ' + VERSION + ' linux/amd64\n')
  process.exit(0)
}

if (argv[0] !== 'build') {
  fs.writeSync(2, 'go stand-in: unsupported command ' + argv.join(' ') + '\n')
  process.exit(2)
}

if (env.GO_STAND_IN_FAIL) {
  fs.writeSync(2, '# example.com/module\n' + env.GO_STAND_IN_FAIL + '\n')
  process.exit(1)
}

const oi = argv.indexOf('-o')
const out = oi >= 0 ? argv[oi + 1] : undefined
if (!out) {
  fs.writeSync(2, 'go stand-in: no -o\n')
  process.exit(2)
}

if (env.GO_STAND_IN_NO_OUTPUT) process.exit(0)

const builds = fs.readFileSync(recordFile, 'utf8').split('\n').filter(l => l.includes('"argv":["build"')).length
const runs = path.join(__dirname, 'program-runs.jsonl')
const shq = s => "'" + s.replace(/'/g, "'\\''") + "'"
const program = [
  '#!/bin/sh',
  '# built by the go stand-in, build ' + builds + ' in ' + process.cwd(),
  "printf '{\"build\":" + builds + ",\"builtIn\":%s,\"args\":\"%s\",\"stackInput\":\"%s\",\"cwd\":\"%s\"}\\n' "
    + shq(JSON.stringify(process.cwd())) + ' "$*" "$STACK_INPUT_YAML_FILE" "$(pwd)" >> ' + shq(runs),
  '',
].join('\n')

function finish() {
  fs.writeFileSync(out, program, {mode: 0o755})
  process.exit(0)
}

const sleepMs = Number.parseInt(env.GO_STAND_IN_SLEEP_MS || '', 10)
if (env.GO_STAND_IN_HOLD_UNTIL) {
  fs.writeFileSync(path.join(__dirname, 'building'), String(process.pid))
  const poll = () => (fs.existsSync(env.GO_STAND_IN_HOLD_UNTIL) ? finish() : setTimeout(poll, 20))
  poll()
} else if (sleepMs > 0) {
  fs.writeFileSync(out, program.slice(0, 20), {mode: 0o755})
  process.on('SIGTERM', () => process.exit(143))
  process.on('SIGINT', () => process.exit(130))
  fs.writeFileSync(path.join(__dirname, 'building'), String(process.pid))
  setTimeout(finish, sleepMs)
} else {
  finish()
}
`

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", '\'\\\'\'')}'`
}

/** Writes `go` (+ go-stand-in.cjs) into binDir. Put binDir first on PATH to use it. */
export function installGoStandIn(binDir: string, version = 'go1.25.1'): {bin: string; recordFile: string; programRuns: string; buildingFile: string} {
  mkdirSync(binDir, {recursive: true})
  writeFileSync(join(binDir, 'go-stand-in.cjs'), STAND_IN_JS.replace('__VERSION__', JSON.stringify(version)))
  const bin = join(binDir, 'go')
  // The version is in the wrapper too, so that another version is another executable.
  writeFileSync(bin, `#!/bin/sh\n# ${version}\nexec ${shellQuote(process.execPath)} "$(dirname "$0")/go-stand-in.cjs" "$@"\n`)
  chmodSync(bin, 0o755)
  return {
    bin, recordFile: join(binDir, 'go-records.jsonl'), programRuns: join(binDir, 'program-runs.jsonl'), buildingFile: join(binDir, 'building'),
  }
}

export function readGoRecords(recordFile: string): GoRecord[] {
  if (!existsSync(recordFile)) return []
  return readFileSync(recordFile, 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l) as GoRecord)
}

export function goBuilds(recordFile: string): GoRecord[] {
  return readGoRecords(recordFile).filter(r => r.argv[0] === 'build')
}

export type ProgramRun = {build: number; builtIn: string; args: string; stackInput: string; cwd: string}

export function readProgramRuns(file: string): ProgramRun[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l) as ProgramRun)
}

// The CLI home of a test and what is seen in it: the CLI run to completion, staging status, copies
// of a prepared home, what a run may leave (temporary clones, packs being received, credentials),
// the lock of a killed holder, and the version a first clone selects.
import {execFileSync} from 'node:child_process'
import {
  existsSync, lstatSync, readdirSync, readFileSync, statSync, utimesSync,
} from 'node:fs'
import path from 'node:path'

import type {Upstream} from '../support/upstream.js'

import {
  type CliResult, ROOT, runCli, type Sandbox,
} from '../support/cli.js'

/** Runs the built CLI to completion (wrapper of runCli that fails loudly with the output on a wrong exit code). */
export async function cli(sb: Sandbox, args: string[], opts: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string; expect?: number} = {}): Promise<CliResult> {
  const result = await runCli(args, {cwd: opts.cwd, env: {...sb.env, ...opts.env}, input: opts.input})
  if (opts.expect !== undefined && result.code !== opts.expect) {
    throw new Error(`project-planton ${args.join(' ')} exited ${result.code} (wanted ${opts.expect}):\n${result.stdout}\n${result.stderr}`)
  }

  return result
}

export type StatusJson = {
  changedFiles: string[]
  clean?: boolean
  exists: boolean
  headMatches: boolean
  headSha?: string
  pending?: unknown
  ref?: string
  sha?: string
  urlMismatch: boolean
  workspaces: Array<{kept: boolean; path: string; running: boolean}>
}

export async function status(sb: Sandbox): Promise<StatusJson> {
  const r = await cli(sb, ['staging', 'status', '--json'], {expect: 0})
  return JSON.parse(r.stdout) as StatusJson
}

/** Copies a prepared CLI home (staging and all) into another sandbox. */
export function copyHome(from: Sandbox, to: Sandbox): void {
  execFileSync('cp', ['-a', from.plantonHome, to.plantonHome])
}

/** Files below `dir` whose name or content gives credentials away. */
export function credentialFiles(dir: string, secrets: string[]): string[] {
  const found: string[] = []
  const names = new Set(['kubeconfig', 'stack-input.yaml', 'terraform.tfvars.json'])
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name)
      const st = lstatSync(abs)
      if (st.isDirectory()) walk(abs)
      else if (st.isFile()) {
        if (names.has(name) || name.endsWith('.tfvars')) {
          found.push(abs)
          continue
        }

        // Object stores are compressed and hold only the upstream's files; a secret never goes there.
        if (st.size > 4 * 1024 * 1024) continue
        const text = readFileSync(abs, 'latin1')
        if (secrets.some(s => text.includes(s))) found.push(abs)
      }
    }
  }

  if (existsSync(dir)) walk(dir)
  return found
}

export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : []
}

/** The `.tmp-clone-*` folder a clone is made in, if there is one. */
export function tmpClone(sb: Sandbox): string | undefined {
  const name = listDir(path.join(sb.plantonHome, 'staging')).find(n => n.startsWith('.tmp-clone-'))
  return name ? path.join(sb.plantonHome, 'staging', name) : undefined
}

/** Size of the biggest temporary pack git is receiving in `gitDir`, or -1 when there is none. */
export function receivingPackSize(gitDir: string): number {
  let biggest = -1
  for (const name of listDir(path.join(gitDir, 'objects', 'pack'))) {
    if (!name.startsWith('tmp_pack_')) continue
    try {
      biggest = Math.max(biggest, statSync(path.join(gitDir, 'objects', 'pack', name)).size)
    } catch {
      // renamed meanwhile
    }
  }

  return biggest
}

/**
 * The staging lock of a killed process, aged as if the user came back a while later: its takeover
 * then needs no wait. (Waiting for a dead holder's lock is a case of its own in concurrency.test.ts.)
 */
export function ageLock(sb: Sandbox): void {
  const lock = path.join(sb.plantonHome, 'staging', 'staging.lock')
  if (!existsSync(lock)) return
  const past = new Date(Date.now() - 60_000)
  utimesSync(lock, past, past)
}

/** The version a first clone selects: the tag of the CLI's own version if upstream has it, else main. */
export function initialRef(u: Upstream): string {
  const {version} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
  const tag = `v${version}`
  return u.git('tag', '--list', tag) === tag ? tag : 'main'
}

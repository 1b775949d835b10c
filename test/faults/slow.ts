// Steps made to last until a test has done what it needs: fetches and a pulumi that wait at a gate
// until the test opens it, and an upstream with many files, so that a clone or an export spans
// many slices of stopWhen.
import {randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {Sandbox} from '../support/cli.js'

import {TF_MODULE_POSTGRES, type Upstream} from '../support/upstream.js'

/** Bulk files live in the KubernetesPostgres tf module, so a tofu run of that kind exports them all. */
export const BULK_DIR = `${TF_MODULE_POSTGRES}/assets`
export const BULK_FILES = 1200

export function bulkFile(i: number): string {
  return `${BULK_DIR}/${String(i).padStart(4, '0')}.bin`
}

/** Commits BULK_FILES files of random bytes (`size` each) on the upstream's current branch; returns the commit. */
export function addBulk(u: Upstream, size = 4096): string {
  // Upstream.commit writes strings; the random bytes are written here and picked up by its `git add -A`.
  for (let i = 0; i < BULK_FILES; i++) {
    const abs = path.join(u.dir, bulkFile(i))
    mkdirSync(path.dirname(abs), {recursive: true})
    writeFileSync(abs, randomBytes(size))
  }

  const sha = u.commit({BULK: `${BULK_FILES} files\n`}, 'feat: bulk assets')
  // Packed once here, so that every clone streams the pack instead of compressing loose objects.
  u.git('repack', '-a', '-d', '-q')
  return sha
}

/**
 * Makes every fetch from `origin` in this sandbox wait until `open()` is called, through the
 * user's own git config (remote.origin.uploadpack): a slow upstream the CLI cannot tell apart
 * from a real one.
 */
export function gateFetches(sb: Sandbox, dir: string): {open(): void} {
  const gate = path.join(dir, 'gate-open')
  const script = path.join(dir, 'gated-upload-pack')
  writeFileSync(script, `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec git-upload-pack "$@"\n`, {mode: 0o755})
  writeFileSync(path.join(sb.home, '.gitconfig'), `[remote "origin"]\n\tuploadpack = ${script}\n`)
  return {
    open() {
      writeFileSync(gate, '')
    },
  }
}

/**
 * A `pulumi` in `dir` that runs the stand-in and then waits, with the stand-in's exit code, until
 * `open()` is called: a run that stays in the tool as long as a test needs.
 */
export function gatedPulumi(dir: string, standIn: string): {binDir: string; open(): void} {
  mkdirSync(dir, {recursive: true})
  const gate = path.join(dir, 'gate-open')
  writeFileSync(path.join(dir, 'pulumi'), `#!/bin/sh\n'${standIn}' "$@"\nrc=$?\necho "gate: waiting"\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexit $rc\n`, {mode: 0o755})
  return {
    binDir: dir,
    open() {
      writeFileSync(gate, '')
    },
  }
}

/**
 * Finding and running the IaC tools (pulumi, tofu, terraform) as child processes with the terminal
 * handed over: stdin, stdout and stderr are inherited, so prompts and colours work as usual.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import {constants as osConstants} from 'node:os'
import path from 'node:path'

import type {SignalTrap} from './signals.js'

import {MissingToolError} from './errors.js'
import {debug} from './log.js'

export type ToolBinary = 'pulumi' | 'terraform' | 'tofu'

const OVERRIDE: Record<ToolBinary, string> = {
  pulumi: 'PROJECT_PLANTON_PULUMI_BIN',
  tofu: 'PROJECT_PLANTON_TOFU_BIN',
  terraform: 'PROJECT_PLANTON_TERRAFORM_BIN',
}

const INSTALL: Record<ToolBinary, string> = {
  pulumi: 'Install Pulumi (https://www.pulumi.com/docs/install/), or set PROJECT_PLANTON_PULUMI_BIN to its path.',
  tofu: 'Install OpenTofu (https://opentofu.org/docs/intro/install/), set PROJECT_PLANTON_TOFU_BIN, or label the manifest project-planton.org/provisioner: terraform to use terraform.',
  terraform: 'Install Terraform (https://developer.hashicorp.com/terraform/install), or set PROJECT_PLANTON_TERRAFORM_BIN to its path.',
}

/**
 * The executable for `tool`, as an absolute path: the override variable if set, else the first
 * match on PATH. Relative paths (in the variable or in PATH) are taken from the user's directory
 * now, before the run moves its tool into a workspace folder.
 */
export async function findBinary(tool: ToolBinary, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<string> {
  const override = env[OVERRIDE[tool]]?.trim()
  if (override) {
    const bin = path.resolve(cwd, override)
    if (await isExecutable(bin)) return bin
    throw new MissingToolError(`${OVERRIDE[tool]}=${override} is not an executable file`, INSTALL[tool])
  }

  const found = await which(tool, env, cwd)
  if (found) return found
  throw new MissingToolError(`${tool} is not installed (not found on PATH)`, INSTALL[tool])
}

/** The first executable file `name` on PATH, as a shell finds it (folders of that name are skipped). */
export async function which(name: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.resolve(cwd, dir, name)
    if (await isExecutable(candidate)) return candidate
  }

  return undefined
}

/**
 * The first line of `<bin> version` (e.g. "Terraform v1.11.4", "v3.150.0"), or undefined when it
 * does not answer in time. Update checks are switched off: they would reach the network.
 */
export async function toolVersion(bin: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000): Promise<string | undefined> {
  const out = await programOutput(bin, ['version'], {env: {...env, CHECKPOINT_DISABLE: '1', PULUMI_SKIP_UPDATE_CHECK: 'true'}, timeoutMs})
  return out?.split('\n').map(l => l.trim()).find(l => /\d+\.\d+/.test(l))
}

/**
 * What a short-lived program prints on stdout, when it starts and exits 0 within `timeoutMs`;
 * undefined otherwise (not installed, failed, hung). For version probes, never for the tools' runs.
 */
export async function programOutput(bin: string, args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number}): Promise<string | undefined> {
  debug('run %s %o', bin, args)
  return new Promise(resolve => {
    const child = spawn(bin, args, {
      cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'ignore'], timeout: opts.timeoutMs,
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    // After a failed spawn, 'close' still follows 'error'.
    let failed = false
    child.on('error', () => {
      failed = true
    })
    child.on('close', code => resolve(!failed && code === 0 ? out : undefined))
  })
}

/** How to install `tool`, for messages. */
export function installHint(tool: ToolBinary): string {
  return INSTALL[tool]
}

/** The variable that overrides where `tool` is found. */
export function overrideVariable(tool: ToolBinary): string {
  return OVERRIDE[tool]
}

/** An executable file (a folder passes the X_OK check too, and a shell skips it). */
async function isExecutable(file: string): Promise<boolean> {
  const st = await stat(file).catch(() => {})
  if (!st?.isFile()) return false
  return access(file, constants.X_OK).then(() => true, () => false)
}

export type ToolRun = {
  bin: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  trap: SignalTrap
  /** also capture stderr (still shown to the user) */
  captureStderr?: boolean
  /** told the tool's pid once it runs (the workspace records it, see staging clean) */
  onStart?: (pid: number) => void
}

/** Why a tool could not be started, in a line a user can act on. */
function startError(bin: string, error: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = {
    EACCES: 'permission denied (is it executable?)',
    ENOENT: 'it does not exist',
    ENOEXEC: 'it is not a program this system can run',
    ENOTDIR: 'a part of its path is not a folder',
  }
  if (!error.code || !why[error.code]) return error
  return new MissingToolError(`cannot start ${bin}: ${why[error.code]}`, 'Check the file, or the PROJECT_PLANTON_*_BIN variable that points at it (see `project-planton doctor`).')
}

/** Runs the tool to completion. Resolves with its exit code (128 + n when a signal ended it). */
export async function runTool(run: ToolRun): Promise<{code: number; stderr: string}> {
  debug('run %s %o in %s', run.bin, run.args, run.cwd)
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, run.args, {
      cwd: run.cwd,
      env: run.env,
      stdio: ['inherit', 'inherit', run.captureStderr ? 'pipe' : 'inherit'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      process.stderr.write(chunk)
    })
    run.trap.attach(child)
    if (child.pid !== undefined) run.onStart?.(child.pid)
    child.on('error', (error: NodeJS.ErrnoException) => {
      run.trap.attach()
      reject(startError(run.bin, error))
    })
    child.on('close', (code, signal) => {
      run.trap.attach()
      // A tool killed by a signal ends like a shell reports it: 128 + the signal's number.
      resolve({code: code ?? 128 + (signal ? osConstants.signals[signal] : 1), stderr})
    })
  })
}

/**
 * Hands a prepared workspace to the tool: writes what the tool reads (stack input, variables,
 * backend, credentials) and runs it with the terminal. Returns the tool's exit code.
 */
import {mkdir} from 'node:fs/promises'

import type {Manifest} from '../manifest.js'
import type {PreparedRun} from '../prepare.js'
import type {SignalTrap} from '../signals.js'
import type {PlanRecord} from './saved-plan.js'

import {credentialEnv, kubeconfigOf, type ProviderConfig} from '../credentials.js'
import {errorMessage, InvalidInputError} from '../errors.js'
import {debug} from '../log.js'
import {writeGenerated} from '../materialise.js'
import {
  findBinary, runTool, type ToolBinary, which,
} from '../tools.js'
import {recordToolPid} from '../workspace.js'
import {
  alignProjectName, isAlreadyExists, pulumiArgs, type PulumiFlags, type PulumiOp, writeStackInput,
} from './pulumi.js'
import {
  makePrivateState, planPath, prepareTofu, type TofuFlags, type TofuOp,
} from './tofu.js'

/**
 * What the tool gets: the manifest as checked against its schema (protojson for Pulumi, the Go
 * CLI's snake_case variables for tofu), or, when no schema could be built, the manifest as read.
 */
export type ToolInputs = {manifest: Manifest; target?: Record<string, unknown>; variables?: Record<string, unknown>}
type Common = {
  manifest: Manifest
  /** what the tool gets from the manifest (see run.ts) */
  inputs: ToolInputs
  workspace: PreparedRun
  /** credentials given for this run; the one of the manifest's provider first */
  providers: ProviderConfig[]
  kubeContext?: string
  env: NodeJS.ProcessEnv
  trap: SignalTrap
  /** the hand-off line, printed right before the tool starts */
  announce: (line: string) => void
}

export type PulumiExecution = Common & {
  op: PulumiOp
  fqdn: string
  flags: PulumiFlags
  /** arguments after `--`, passed to pulumi unchanged */
  extraArgs?: string[]
}

export type TofuExecution = Common & {
  op: TofuOp
  /** plan --out: what the kept plan's record says it was made from (the variables' digest is added here) */
  planOrigin?: Omit<PlanRecord, 'createdAt' | 'format' | 'variables'>
  /** apply --plan: the digest of the variables the saved plan was made with */
  savedVariables?: string
  binary: 'terraform' | 'tofu'
  flags: TofuFlags
  stateDir: string
  pluginCacheDir: string
}

export async function executePulumi(run: PulumiExecution): Promise<number> {
  const bin = await findBinary('pulumi', run.env)
  const ws = run.workspace
  if (ws.layout !== 'in-place' && ws.layout !== 'binary') await alignProjectName(ws.tree, ws.moduleDir, run.fqdn)
  const stackInput = await writeStackInput(ws.privateDir, run.inputs.target ?? run.manifest, run.providers[0])
  // From source in a fresh staging workspace: -trimpath lets Go's build cache serve every run.
  const fromSource = ws.source === 'staging' && ws.layout !== 'binary'
  const env: NodeJS.ProcessEnv = {...(fromSource ? (await import('../binaries/go.js')).sourceRunEnv(run.env) : run.env), STACK_INPUT_YAML_FILE: stackInput}
  if (run.kubeContext) env.KUBE_CTX = run.kubeContext
  // Staging workspaces build against the repository's root go.mod; a go.work must not interfere.
  if (ws.source === 'staging') env.GOWORK = 'off'
  const args = [...pulumiArgs(run.op, run.fqdn, run.flags), ...(run.extraArgs ?? [])]
  run.announce(`Handing off to pulumi: pulumi ${args.join(' ')}  (in ${ws.moduleDir})`)
  const {code, stderr} = await runRecorded({
    bin, args, cwd: ws.moduleDir, env, trap: run.trap, captureStderr: run.op === 'init', onStart: pid => noteToolPid(ws, pid),
  })
  if (run.op === 'init' && code !== 0 && isAlreadyExists(stderr)) return 0
  return code
}

export async function executeTofu(run: TofuExecution): Promise<number> {
  const {bin, name} = await tofuBinary(run.binary, run.env, run.announce)
  const ws = run.workspace
  const plan = await prepareTofu({
    op: run.op, manifest: run.manifest, variables: run.inputs.variables, flags: run.flags, moduleDir: ws.moduleDir, privateDir: ws.privateDir, stateDir: run.stateDir,
  })
  assertSameVariables(run, plan.variablesDigest)
  const env = await tofuEnv(run)

  run.announce(`Handing off to ${name}: ${plan.steps.map(s => `${name} ${s[0]}`).join(', then ')}  (in ${ws.moduleDir}${plan.statePath ? `, state ${plan.statePath}` : ''})`)
  // tofu and terraform ignore NO_COLOR (https://no-color.org); their -no-color flag does the same.
  const noColor = Boolean(run.env.NO_COLOR)
  try {
    for (const args of plan.steps) {
      const {code} = await runRecorded({
        bin, args: noColor ? [...args, '-no-color'] : args, cwd: ws.moduleDir, env, trap: run.trap, onStart: pid => noteToolPid(ws, pid),
      })
      if (run.trap.received) return code
      // With -detailed-exitcode, plan's 2 means "succeeded, with changes": its plan is kept too.
      const planned = args[0] === 'plan' && (code === 0 || (code === 2 && detailedExitCode(args)))
      if (code !== 0 && !planned) return code
      if (planned && run.flags.out && run.planOrigin) {
        const {keepPlan} = await import('./saved-plan.js')
        await keepPlan(planPath(ws.privateDir), run.flags.out, {...run.planOrigin, variables: plan.variablesDigest})
        run.announce(`Saved the plan to ${run.flags.out}; apply it with: project-planton tofu apply -f <manifest> --plan ${run.flags.out}`)
      }

      if (code !== 0) return code
    }

    return 0
  } finally {
    if (plan.statePath) await makePrivateState(run.stateDir)
  }
}

const recording = new Set<Promise<void>>()

/**
 * Best effort: the record only helps `staging clean` spare a tool that outlives a killed CLI. The
 * run waits for it (settled) before its workspace can be torn down.
 */
function noteToolPid(ws: PreparedRun, pid: number): void {
  const done = recordToolPid(ws, pid).catch((error: unknown) => debug('recording the tool pid failed: %s', errorMessage(error)))
  recording.add(done)
  done.finally(() => recording.delete(done))
}

/** Runs the tool, and returns once its pid record is written too. */
async function runRecorded(...args: Parameters<typeof runTool>): ReturnType<typeof runTool> {
  try {
    return await runTool(...args)
  } finally {
    await Promise.all(recording)
  }
}

/** tofu, or terraform when only terraform is installed (said out loud, never silent). */
async function tofuBinary(wanted: 'terraform' | 'tofu', env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<{bin: string; name: ToolBinary}> {
  if (wanted === 'terraform') return {bin: await findBinary('terraform', env), name: 'terraform'}
  try {
    return {bin: await findBinary('tofu', env), name: 'tofu'}
  } catch (error) {
    const terraform = env.PROJECT_PLANTON_TOFU_BIN ? undefined : (env.PROJECT_PLANTON_TERRAFORM_BIN?.trim() || (await which('terraform', env)))
    if (!terraform) throw error
    say(`tofu is not installed; using terraform at ${terraform}`)
    return {bin: terraform, name: 'terraform'}
  }
}

/**
 * A saved plan holds the values it was made with: applied with another manifest's, it would apply
 * what that manifest no longer says.
 */
function assertSameVariables(run: TofuExecution, digest: string): void {
  if (!run.savedVariables || run.savedVariables === digest) return
  throw new InvalidInputError(`--plan ${run.flags.planFile}: it was made from other values than this run's manifest (with its --set) gives now`, {
    hint: 'Plan again with this manifest (tofu plan --out), or apply the plan with the manifest and overrides it was made from.',
  })
}

/** The tool's environment: the plugin cache, the kube context, and every provider's credentials. */
async function tofuEnv(run: TofuExecution): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {...run.env}
  if (!env.TF_PLUGIN_CACHE_DIR) {
    await mkdir(run.pluginCacheDir, {recursive: true})
    env.TF_PLUGIN_CACHE_DIR = run.pluginCacheDir
  }

  if (run.kubeContext) env.KUBE_CTX = run.kubeContext
  // Every provider given becomes variables: a module may use more than its own (EKS needs AWS).
  for (const provider of run.providers) {
    const kubeconfig = kubeconfigOf(provider)
    const kubeconfigPath = kubeconfig ? await writeGenerated(run.workspace.privateDir, 'kubeconfig', kubeconfig, 0o600) : undefined
    Object.assign(env, credentialEnv(provider, kubeconfigPath))
  }

  return env
}

/** Whether plan was asked for terraform's detailed exit codes (2: the plan has changes). */
function detailedExitCode(args: string[]): boolean {
  return args.some(a => a === '-detailed-exitcode' || a === '--detailed-exitcode')
}

/**
 * Where the module of a manifest's kind lives in a monorepo tree:
 * `apis/org/project_planton/provider/<provider>/<lowercase kind>/v1/iac/{pulumi,tf}`.
 * The tree is either a commit of staging's object store or a folder on disk (`--local-module`).
 */
import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import type {GitRepository} from './git.js'
import type {Manifest} from './manifest.js'

import {InvalidInputError} from './errors.js'

export const PROVIDER_ROOT = 'apis/org/project_planton/provider'

export type Tool = 'pulumi' | 'tofu'

/** Lists sub-folder names of a repository-relative folder. */
export type TreeReader = {
  describe: string
  dirs(rel: string): Promise<string[]>
}

export function gitTree(repo: GitRepository, sha: string): TreeReader {
  return {
    describe: `commit ${sha.slice(0, 12)}`,
    async dirs(rel) {
      return (await repo.listDir(sha, rel)).filter(e => e.type === 'tree').map(e => path.posix.basename(e.path))
    },
  }
}

export function fsTree(root: string): TreeReader {
  return {
    describe: root,
    async dirs(rel) {
      const entries = await readdir(path.join(root, rel), {withFileTypes: true}).catch(() => [])
      return entries.filter(e => e.isDirectory()).map(e => e.name)
    },
  }
}

export function iacFolder(tool: Tool): string {
  return tool === 'pulumi' ? 'pulumi' : 'tf'
}

/** `kubernetes.project-planton.org/v1` → `kubernetes` */
export function providerOf(manifest: Manifest): string | undefined {
  const group = manifest.apiVersion.split('/')[0]
  const m = /^([a-z\d-]+)\.project-planton\.org$/.exec(group)
  return m?.[1]
}

export function kindFolder(manifest: Manifest): string {
  if (!/^[A-Za-z][A-Za-z\d]*$/.test(manifest.kind)) {
    throw new InvalidInputError(`invalid kind ${JSON.stringify(manifest.kind)}: a kind is a CamelCase name such as KubernetesRedis`)
  }

  return manifest.kind.toLowerCase()
}

/** Finds the module folder (repository-relative) for the manifest's kind and tool. */
export async function locateModule(tree: TreeReader, manifest: Manifest, tool: Tool): Promise<string> {
  const kind = kindFolder(manifest)
  const iac = iacFolder(tool)
  const provider = providerOf(manifest)
  const providers = await tree.dirs(PROVIDER_ROOT)
  if (providers.length === 0) {
    throw new InvalidInputError(`${tree.describe} has no ${PROVIDER_ROOT} folder: it is not a ProjectPlanton monorepo`)
  }

  const candidates = provider && providers.includes(provider) ? [provider, ...providers.filter(p => p !== provider)] : providers
  const allKinds: string[] = []
  for (const p of candidates) {
    const kinds = await tree.dirs(`${PROVIDER_ROOT}/${p}`)
    allKinds.push(...kinds)
    if (!kinds.includes(kind)) continue
    const iacDirs = await tree.dirs(`${PROVIDER_ROOT}/${p}/${kind}/v1/iac`)
    if (iacDirs.includes(iac)) return `${PROVIDER_ROOT}/${p}/${kind}/v1/iac/${iac}`
    throw new InvalidInputError(`kind ${manifest.kind} has no ${tool === 'pulumi' ? 'Pulumi' : 'OpenTofu/Terraform'} module in ${tree.describe}`, {
      hint: iacDirs.length > 0 ? `It has: ${iacDirs.join(', ')}. Set the label project-planton.org/provisioner accordingly.` : undefined,
    })
  }

  const close = closest(kind, allKinds, 3)
  throw new InvalidInputError(`unknown kind ${manifest.kind}: no module folder ${kind} in ${tree.describe}`, {
    hint: close.length > 0 ? `Closest kinds: ${close.join(', ')}` : undefined,
  })
}

/** Whether `dir` is a module for `tool`: a Pulumi.yaml, or a `*.tf` file (a folder of that name does not count). */
export async function isModuleDir(dir: string, tool: Tool): Promise<boolean> {
  const entries = await readdir(dir, {withFileTypes: true}).catch((error: NodeJS.ErrnoException) => {
    if (['EACCES', 'ENOENT', 'ENOTDIR'].includes(error.code ?? '')) return []
    throw error
  })
  const names = entries.filter(e => e.isFile() || e.isSymbolicLink()).map(e => e.name)
  return tool === 'pulumi' ? names.includes('Pulumi.yaml') || names.includes('Pulumi.yml') : names.some(n => n.endsWith('.tf') || n.endsWith('.tf.json'))
}

/** Checks that a user's `--module-dir` really is a module for `tool`; never falls back silently. */
export async function assertModuleDir(dir: string, tool: Tool): Promise<void> {
  const st = await stat(dir).catch(() => {})
  if (!st?.isDirectory()) throw new InvalidInputError(`--module-dir ${dir} does not exist or is not a folder`)
  if (!(await isModuleDir(dir, tool))) {
    throw new InvalidInputError(`--module-dir ${dir} is not a ${tool === 'pulumi' ? 'Pulumi module (no Pulumi.yaml)' : 'OpenTofu/Terraform module (no *.tf file)'}`)
  }
}

export function closest(word: string, words: string[], n: number): string[] {
  return [...new Set(words)]
  .map(w => ({w, d: distance(word, w)}))
  .filter(({d, w}) => d <= Math.max(3, Math.floor(w.length / 2)) || w.includes(word) || word.includes(w))
  .sort((a, b) => a.d - b.d || a.w.localeCompare(b.w))
  .slice(0, n)
  .map(({w}) => w)
}

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }

  return row[b.length]
}

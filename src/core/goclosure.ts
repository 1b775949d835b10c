/**
 * The files a Pulumi Go module needs: `go.mod`, `go.sum`, the module folder, and the folders of the
 * Go packages its `main` package imports transitively from the repository's own Go module. The
 * modules have no go.mod of their own and build against the root one, so copying only their folder
 * would not build, and copying the whole tree costs O(repository) per run.
 *
 * Imports are read from the commit's objects (no Go toolchain needed). Every file directly in a
 * package folder is taken (build-tagged Go files, assets), plus what its `//go:embed` directives
 * name below it. The files are exported once per commit and module into a snapshot
 * (snapshot.ts), so a closure is computed once per commit.
 */
import path from 'node:path'

import type {Prefetch} from './blob-fetch.js'
import type {HandOver} from './blobs.js'
import type {GitRepository, TreeEntry} from './git.js'

export type Closure = {entries?: TreeEntry[]; reason?: string; packages?: number}

// Bumped whenever what a closure contains changes: it is part of snapshot names.
export const CLOSURE_VERSION = 2

/**
 * `handOver`, when given, reads the blobs and keeps them for the export that follows (so git
 * inflates each once); otherwise the closure reads with a reader of its own. `prefetch`, when given,
 * is told the files of each level of imports before they are read (a lean staging fetches them
 * then, one request per level), and finally every file of the closure.
 */
export async function computeClosure(repo: GitRepository, sha: string, modulePath: string, {handOver, prefetch}: {handOver?: HandOver; prefetch?: Prefetch} = {}): Promise<Closure> {
  const all = await repo.listTree(sha)
  const byPath = new Map(all.map(e => [e.path, e]))
  const goMod = byPath.get('go.mod')
  if (!goMod) return {reason: 'the repository has no root go.mod'}
  if (byPath.has(`${modulePath}/go.mod`)) return {reason: `${modulePath} has its own go.mod`}
  const goSum = byPath.get('go.sum')
  const rootFiles = goSum ? [goMod, goSum] : [goMod]
  // The first level: go.mod, go.sum and everything below the module folder, all exported anyway.
  await prefetch?.([...rootFiles, ...all.filter(e => e.path.startsWith(`${modulePath}/`))], `the Go module ${modulePath}`)
  const own = handOver ? undefined : repo.objectReader()
  const read = (oid: string) => (handOver ? handOver.readAndKeep(oid) : own!.read(oid))
  try {
    const goModText = (await read(goMod.oid)).toString('utf8')
    const modulePathDecl = /^\s*module\s+("?)([^\s"]+)\1/m.exec(goModText)
    if (!modulePathDecl) return {reason: 'go.mod declares no module path'}
    const imported = await followImports({
      modulePath, goModule: modulePathDecl[2], filesIn: filesByFolder(all), read, prefetch,
    })
    const entries = closureEntries(all, rootFiles, modulePath, {...imported, replaced: replacedFolders(goModText)})
    // What the levels did not bring: embedded files below the packages, `replace`d folders.
    await prefetch?.(entries, `the Go import closure of ${modulePath}`)
    return {entries, packages: imported.packages.size}
  } finally {
    await own?.close()
  }
}

/** folder → the entries directly in it */
function filesByFolder(all: TreeEntry[]): Map<string, TreeEntry[]> {
  const filesIn = new Map<string, TreeEntry[]>()
  for (const e of all) {
    const dir = path.posix.dirname(e.path)
    const list = filesIn.get(dir)
    if (list) list.push(e)
    else filesIn.set(dir, [e])
  }

  return filesIn
}

/** The folders of `replace x => ./local/dir` in go.mod: the build reads those folders too. */
function replacedFolders(goModText: string): string[] {
  return [...goModText.matchAll(/=>\s*(\.{1,2}\/\S+)/g)].map(m => path.posix.normalize(m[1]))
}

type ImportWalk = {
  /** the Pulumi module's folder, where the walk starts */
  modulePath: string
  /** the path go.mod declares, which the repository's own imports start with */
  goModule: string
  filesIn: Map<string, TreeEntry[]>
  read: (oid: string) => Promise<Buffer>
  prefetch?: Prefetch
}

type Imported = {packages: Set<string>; embeds: Array<{dir: string; pattern: string}>}

/** The package folders `modulePath` imports from the repository's own Go module, and their embed patterns. */
async function followImports({modulePath, goModule, filesIn, read, prefetch}: ImportWalk): Promise<Imported> {
  const packages = new Set<string>()
  const embeds: Imported['embeds'] = []
  // Level by level: the packages a level imports are the next level.
  let level = [modulePath]
  while (level.length > 0) {
    const dirs = [...new Set(level)].filter(d => !packages.has(d))
    for (const dir of dirs) packages.add(dir)
    // Every file directly in a package folder is exported: fetched with the level's Go files.
    await prefetch?.(dirs.flatMap(d => filesIn.get(d) ?? []), `the Go packages imported by ${modulePath}`)
    const goFiles = dirs.flatMap(dir => (filesIn.get(dir) ?? []).filter(e => e.type === 'blob' && e.path.endsWith('.go') && !e.path.endsWith('_test.go')).map(e => ({dir, e})))
    const contents = await Promise.all(goFiles.map(({e}) => read(e.oid)))
    const next: string[] = []
    for (const [i, content] of contents.entries()) {
      const source = content.toString('utf8')
      for (const pattern of goEmbeds(source)) embeds.push({dir: goFiles[i].dir, pattern})
      for (const imp of goImports(source)) {
        if (imp !== goModule && !imp.startsWith(`${goModule}/`)) continue
        const rel = imp.slice(goModule.length + 1)
        if (filesIn.has(rel) && !packages.has(rel)) next.push(rel)
      }
    }

    level = next
  }

  return {packages, embeds}
}

/** go.mod and go.sum, then, in tree order, the module folder, the package folders, what they embed and the `replace`d folders. */
function closureEntries(all: TreeEntry[], rootFiles: TreeEntry[], modulePath: string, {packages, embeds, replaced}: Imported & {replaced: string[]}): TreeEntry[] {
  const wanted = new Set<TreeEntry>(rootFiles)
  const embedded = embeds.map(({dir, pattern}) => embedMatcher(dir, pattern))
  for (const e of all) {
    const dir = path.posix.dirname(e.path)
    if (e.path.startsWith(`${modulePath}/`) || packages.has(dir) || embedded.some(m => m(e.path)) || replaced.some(r => e.path.startsWith(`${r}/`))) wanted.add(e)
  }

  return [...wanted]
}

/** The import paths of a Go source file (only its import declarations are read). */
export function goImports(source: string): string[] {
  // Imports precede every other declaration: read no further than the first one.
  // (search stops at the first one; split would scan, and copy, megabytes of generated code)
  const end = source.search(/^(?:func|type|var|const)\b/m)
  const header = end === -1 ? source : source.slice(0, end)
  const code = header.replaceAll(/\/\*[\s\S]*?\*\//g, ' ').replaceAll(/\/\/[^\n]*/g, '')
  const imports: string[] = []
  const decl = /\bimport\s*(\(([^)]*)\)|(?:[\w.]+\s+)?"([^"]+)")/g
  for (const m of code.matchAll(decl)) {
    if (m[3]) {
      imports.push(m[3])
      continue
    }

    for (const spec of m[2].matchAll(/(?:[\w.]+\s+)?"([^"]+)"/g)) imports.push(spec[1])
  }

  return imports
}

/** The patterns of a Go file's `//go:embed` directives. */
export function goEmbeds(source: string): string[] {
  const patterns: string[] = []
  for (const m of source.matchAll(/^\/\/go:embed\s+(.+)$/gm)) {
    for (const p of m[1].matchAll(/"([^"]+)"|`([^`]+)`|(\S+)/g)) patterns.push((p[1] ?? p[2] ?? p[3]).replace(/^all:/, ''))
  }

  return patterns
}

/**
 * Whether a repository path is named by an embed pattern of the package in `dir`: the pattern
 * (Go's path.Match syntax) names files or folders relative to the package; a folder brings
 * everything below it.
 */
function embedMatcher(dir: string, pattern: string): (file: string) => boolean {
  const segments = pattern.split('/').map(seg => new RegExp(`^${seg.replaceAll(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '[^/]*').replaceAll('?', '[^/]')}$`))
  return (file: string) => {
    if (!file.startsWith(`${dir}/`)) return false
    const parts = file.slice(dir.length + 1).split('/')
    return parts.length >= segments.length && segments.every((re, i) => re.test(parts[i]))
  }
}

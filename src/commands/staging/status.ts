import type {StagingStatus as Status} from '../../core/staging.js'

import {StagingCommand} from '../../base/staging-command.js'

export default class StagingStatus extends StagingCommand {
  static hiddenAliases = ['modules-version']
  static summary = 'Show where staging is, which version it holds, and what runs left behind.'
  static description = 'Also available as `<%= config.bin %> modules-version`.'
  static examples = [
    {description: 'Human-readable status', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<unknown> {
    await this.parse(StagingStatus)
    const staging = await this.staging()
    const {listWorkspaces} = await import('../../core/workspace.js')
    const {formatBytes} = await import('../../core/fsutil.js')
    const {snapshotStats} = await import('../../core/snapshot.js')
    const {binaryCacheStats} = await import('../../core/binaries/cache.js')
    const {paths} = await this.home()
    const status = await staging.status()
    const workspaces = (await listWorkspaces(paths.workspaces)).map(w => ({path: w.path, running: w.running, kept: w.kept}))
    const [cache, moduleBinaries] = await Promise.all([snapshotStats(paths.cache), binaryCacheStats(paths.cache)])
    const document = {
      ...status, workspaces, cache, moduleBinaries,
    }
    if (this.jsonEnabled()) return document

    if (!status.exists) {
      this.log(`Staging:     not cloned yet (${status.path})`)
      this.log(`Upstream:    ${status.url}`)
      if (status.nextClone) this.log(`First clone: ${status.nextClone.mode} (${status.nextClone.because === 'default' ? 'the default' : status.nextClone.because})`)
      this.log(`Clone it with: ${this.config.bin} staging pull`)
      return document
    }

    const binaryKinds = `${moduleBinaries.built} built, ${moduleBinaries.downloaded} downloaded`
    const lines: Array<[string, string]> = [
      ['Location', status.path],
      ['Upstream', status.urlMismatch ? `${status.recordedUrl}  (PROJECT_PLANTON_REPO_URL is now ${status.url}: re-clone with \`staging clean --all\`)` : status.url],
      ['Selected', status.ref ? `${status.ref} (${status.kind}${status.tag ? ` ${status.tag}` : ''})` : 'none recorded'],
      ['Commit', status.sha ?? 'unknown'],
      ['Mode', modeLine(status, this.config.bin)],
      ['Work tree', workTreeLine(status)],
      ['Size', `${formatBytes(status.sizeBytes)} in ${status.files} files`],
      ['Last fetch', status.fetchedAt ?? 'never'],
      ['Cache', `${cache.snapshots} module snapshot(s), ${formatBytes(cache.bytes)}`],
      ['Binaries', `${moduleBinaries.binaries} module binary(ies), ${formatBytes(moduleBinaries.bytes)} (${binaryKinds})`],
      ['Workspaces', workspaces.length === 0 ? 'none' : `${workspaces.length} (${workspaces.filter(w => w.running).length} running, ${workspaces.filter(w => !w.running).length} left over)`],
    ]
    if (status.pending) {
      const keeping = status.ref ?? 'the selected version'
      lines.push(['Interrupted', `a checkout of ${status.pending.ref} was cut short; the next command finishes it (or gives it up if git refuses, keeping ${keeping})`])
    }

    for (const [k, v] of lines) this.log(`${`${k}:`.padEnd(13)}${v}`)
    for (const w of workspaces.filter(w => !w.running)) this.log(`  ${w.path}${w.kept ? ' (kept with --no-cleanup)' : ''}`)
    return document
  }
}

function modeLine(status: Status, bin: string): string {
  if (status.mode !== 'lean') return 'full: every file of every version is local'
  const local = status.localFiles ? `${status.localFiles.local} of ${status.localFiles.total} files of the selected version are local; ` : ''
  return `lean: ${local}the others are fetched when a run needs them (\`${bin} staging pull --full\` fetches all)`
}

function workTreeLine(status: Status): string {
  if (status.workTree === 'none') return 'none (a lean staging checks nothing out; runs read their files from git)'
  const head = status.headMatches ? 'at the selected commit' : `HEAD is ${status.headSha?.slice(0, 12) ?? 'unknown'}, not the selected commit`
  return `${head}, ${status.clean ? 'clean' : `${status.changedFiles.length} changed file(s)`}`
}

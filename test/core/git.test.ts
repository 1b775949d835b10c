import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {gitEnvironment, GitRepository} from '../../src/core/git.js'
import {createUpstream, makeTempDir, removeTempDirs} from '../support/upstream.js'

/** What the user's shell may hold that would send git elsewhere or feed it configuration. */
const REDIRECTING = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_CONFIG',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_KEY_0',
  'GIT_CONFIG_VALUE_0',
  'GIT_CONFIG_PARAMETERS',
  'GIT_EXEC_PATH',
  'GIT_TEMPLATE_DIR',
  'GIT_EDITOR',
  'GIT_ASKPASS',
  'GIT_EXTERNAL_DIFF',
  'GIT_PAGER',
]

/**
 * The proxy, CA, SSH and tracing settings a user needs to reach their upstream at all, written out
 * here by concern rather than taken from git.ts, so that one dropped there fails this test.
 */
const PROXY = ['GIT_HTTP_PROXY_AUTHMETHOD', 'GIT_PROXY_SSL_CAINFO', 'GIT_PROXY_SSL_CERT', 'GIT_PROXY_SSL_KEY']
const TLS = ['GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'GIT_SSL_CERT', 'GIT_SSL_KEY', 'GIT_SSL_NO_VERIFY', 'GIT_SSL_VERSION']
const SLOW_LINKS = ['GIT_HTTP_LOW_SPEED_LIMIT', 'GIT_HTTP_LOW_SPEED_TIME']
const TRACING = ['GIT_CURL_VERBOSE', 'GIT_TRACE', 'GIT_TRACE_CURL', 'GIT_TRACE_PACKET']
const USER_SETTINGS = [...PROXY, ...TLS, ...SLOW_LINKS, ...TRACING, 'GIT_SSH_VARIANT']

describe('git environment', () => {
  after(removeTempDirs)

  it('drops every GIT_* variable that could redirect git or inject configuration, in any case', () => {
    const parent: NodeJS.ProcessEnv = {PATH: '/usr/bin'}
    for (const k of REDIRECTING) parent[k] = `/elsewhere/${k}`
    // eslint-disable-next-line camelcase -- a lower-case spelling of GIT_DIR
    parent.git_dir = '/elsewhere/lower'
    const env = gitEnvironment(parent)
    const leaked = Object.keys(env).filter(k => k in parent && k !== 'PATH')
    expect(leaked).to.deep.equal([])
    expect(env.PATH).to.equal('/usr/bin')
  })

  it("keeps the user's proxy, CA, SSH and tracing settings, and the variables git does not own", () => {
    const parent: NodeJS.ProcessEnv = {
      // eslint-disable-next-line camelcase -- curl reads the lower-case spelling too
      HTTPS_PROXY: 'http://proxy:3128', https_proxy: 'http://proxy:3128', NO_PROXY: '.corp', SSL_CERT_FILE: '/etc/ca.pem', HOME: '/home/u', XDG_CONFIG_HOME: '/home/u/.config', SSH_AUTH_SOCK: '/run/agent',
    }
    for (const k of USER_SETTINGS) parent[k] = `value of ${k}`
    const env = gitEnvironment(parent)
    for (const [k, v] of Object.entries(parent)) expect(env[k], k).to.equal(v)
  })

  it('drops the programs git could start (editor, pager, password prompt), which a non-interactive git never needs', () => {
    const env = gitEnvironment({
      EDITOR: 'vim', VISUAL: 'code -w', PAGER: 'less', SSH_ASKPASS: '/usr/bin/ksshaskpass', PREFIX: '/opt', editor: 'nano', KEEP: 'kept',
    })
    for (const k of ['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX', 'editor']) expect(env, k).to.not.have.property(k)
    expect(env.KEEP).to.equal('kept')
  })

  it('forces no prompts and C messages, whatever the user set', () => {
    const env = gitEnvironment({
      GIT_TERMINAL_PROMPT: '1', GCM_INTERACTIVE: 'always', LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de', LANG: 'de_DE.UTF-8',
    })
    expect(env).to.deep.include({
      GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C', LANGUAGE: 'C', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    })
    // LANG is beaten by LC_ALL; it is left for the programs git does not start.
    expect(env.LANG).to.equal('de_DE.UTF-8')
  })

  it("keeps a user's own SSH command or program instead of the batch-mode default", () => {
    expect(gitEnvironment({GIT_SSH_COMMAND: 'ssh -i ~/.ssh/deploy'})).to.deep.include({GIT_SSH_COMMAND: 'ssh -i ~/.ssh/deploy'})
    const withProgram = gitEnvironment({GIT_SSH: '/usr/bin/plink'})
    expect(withProgram.GIT_SSH).to.equal('/usr/bin/plink')
    // git prefers GIT_SSH_COMMAND over GIT_SSH: adding one would override the user's program.
    expect(withProgram).to.not.have.property('GIT_SSH_COMMAND')
  })

  it('leaves the parent environment as it was and skips unset variables', () => {
    const parent: NodeJS.ProcessEnv = {GIT_DIR: '/x', EDITOR: 'vim', UNSET: undefined}
    const env = gitEnvironment(parent)
    expect(parent).to.deep.equal({GIT_DIR: '/x', EDITOR: 'vim', UNSET: undefined})
    expect(env).to.not.have.property('UNSET')
  })

  describe('with real git', () => {
    it('a GIT_DIR or GIT_CONFIG_* from the shell no longer redirects git or injects settings', () => {
      const mine = createUpstream()
      const other = createUpstream()
      const hostile: NodeJS.ProcessEnv = {
        ...process.env,
        GIT_DIR: path.join(other.dir, '.git'),
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'pp.injected',
        GIT_CONFIG_VALUE_0: 'yes',
      }
      const git = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync('git', args, {cwd: mine.dir, env, encoding: 'utf8'})
      // The shell's variables do redirect a git that inherits them…
      expect(git(hostile, 'rev-parse', '--absolute-git-dir').stdout.trim()).to.equal(path.join(other.dir, '.git'))
      expect(git(hostile, 'config', '--get', 'pp.injected').stdout.trim()).to.equal('yes')
      // …and do not reach git through gitEnvironment.
      const safe = gitEnvironment(hostile)
      expect(git(safe, 'rev-parse', '--absolute-git-dir').stdout.trim()).to.equal(path.join(mine.dir, '.git'))
      const injected = git(safe, 'config', '--get', 'pp.injected')
      expect(injected.status, injected.stdout).to.equal(1)
    })

    it('git runs through simple-git with an EDITOR and a GIT_DIR in the shell', async () => {
      const mine = createUpstream()
      const other = makeTempDir('pp-other-')
      execFileSync('git', ['init', '-q', other])
      const repo = new GitRepository(mine.dir, {
        env: gitEnvironment({
          ...process.env, EDITOR: 'vim', PAGER: 'less', GIT_DIR: path.join(other, '.git'),
        }),
      })
      expect(await repo.resolveCommit('v0.1.0')).to.equal(mine.sha('v0.1.0'))
      expect((await repo.raw(['rev-parse', '--absolute-git-dir'])).trim()).to.equal(path.join(mine.dir, '.git'))
    })

    it('a user SSH command survives into git, which then runs it for an scp-like URL', () => {
      const dir = makeTempDir('pp-ssh-')
      const record = path.join(dir, 'ssh-called')
      const fakeSsh = path.join(dir, 'fake-ssh')
      writeFileSync(fakeSsh, `#!/bin/sh\necho "$@" > '${record}'\nexit 1\n`, {mode: 0o755})
      const env = gitEnvironment({...process.env, GIT_SSH_COMMAND: fakeSsh})
      const r = spawnSync('git', ['ls-remote', 'git@example.invalid:org/repo.git'], {cwd: dir, env, encoding: 'utf8'})
      expect(r.status).to.not.equal(0)
      expect(readFileSync(record, 'utf8')).to.contain('git@example.invalid')
    })
  })
})

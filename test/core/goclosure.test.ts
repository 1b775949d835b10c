import {expect} from 'chai'

import {GitRepository} from '../../src/core/git.js'
import {computeClosure, goImports} from '../../src/core/goclosure.js'
import {
  createUpstream, PULUMI_MODULE_AWSS3BUCKET, PULUMI_MODULE_REDIS, removeTempDirs, UNRELATED_GO_DIR,
} from '../support/upstream.js'

describe('Go import closure', () => {
  after(removeTempDirs)

  it('reads single, grouped, aliased and dot/blank imports and ignores comments and strings in code', () => {
    const src = `// Package x
package x

import "fmt"
import alias "github.com/a/b"
import (
\t"os"
\tk8s "github.com/plantonhq/project-planton/pkg/k8s" // trailing comment
\t. "github.com/dot/import"
\t_ "github.com/blank/import"
\t/* "github.com/commented/out" */
)

func main() { fmt.Println("import \\"not/an/import\\"") }
`
    expect(goImports(src)).to.deep.equal(['fmt', 'github.com/a/b', 'os', 'github.com/plantonhq/project-planton/pkg/k8s', 'github.com/dot/import', 'github.com/blank/import'])
  })

  it('takes go.mod, go.sum, the module folder and the packages it imports transitively, nothing else', async () => {
    const up = createUpstream()
    const repo = new GitRepository(up.dir)
    const sha = up.sha('main')
    const closure = await computeClosure(repo, sha, PULUMI_MODULE_REDIS)
    const paths = closure.entries!.map(e => e.path).sort()
    expect(paths).to.include('go.mod')
    expect(paths).to.include('go.sum')
    expect(paths).to.include(`${PULUMI_MODULE_REDIS}/Pulumi.yaml`)
    expect(paths).to.include(`${PULUMI_MODULE_REDIS}/main.go`)
    expect(paths).to.include(`${PULUMI_MODULE_REDIS}/module/main.go`)
    // transitive: module → pulumimodule/provider/kubernetes → pulumimodule/common
    expect(paths.some(p => p.startsWith('pkg/iac/pulumi/pulumimodule/provider/kubernetes/'))).to.equal(true)
    expect(paths.some(p => p.startsWith('pkg/iac/pulumi/pulumimodule/common/'))).to.equal(true)
    expect(paths.some(p => p.startsWith('apis/org/project_planton/shared/'))).to.equal(true)
    // not imported
    expect(paths.some(p => p.startsWith(`${UNRELATED_GO_DIR}/`))).to.equal(false)
    expect(paths.some(p => p.startsWith('pkg/iac/pulumi/pulumimodule/provider/aws/'))).to.equal(false)
    expect(paths.some(p => p.includes('/iac/tf/'))).to.equal(false)
    expect(paths.some(p => p.includes('awss3bucket'))).to.equal(false)

    const aws = await computeClosure(repo, sha, PULUMI_MODULE_AWSS3BUCKET)
    const awsPaths = aws.entries!.map(e => e.path)
    expect(awsPaths.some(p => p.startsWith('pkg/iac/pulumi/pulumimodule/provider/aws/'))).to.equal(true)
    expect(awsPaths.some(p => p.startsWith('pkg/iac/pulumi/pulumimodule/provider/kubernetes/'))).to.equal(false)
  })

  it('takes whole package folders and what //go:embed names, not nested packages or other data', async () => {
    const up = createUpstream()
    const sha = up.commit(
      {
        'pkg/iac/pulumi/pulumimodule/common/embed.go': 'package common\n\nimport _ "embed"\n\n//go:embed templates/*.yaml "static"\nvar values string\n',
        'pkg/iac/pulumi/pulumimodule/common/templates/values.yaml': 'a: 1\n',
        'pkg/iac/pulumi/pulumimodule/common/templates/notes.txt': 'not embedded\n',
        'pkg/iac/pulumi/pulumimodule/common/static/deep/logo.svg': '<svg/>\n',
        'pkg/iac/pulumi/pulumimodule/common/docs/readme.md': 'not embedded\n',
        'pkg/iac/pulumi/pulumimodule/common/nested/nested.go': 'package nested\n',
        'pkg/iac/pulumi/pulumimodule/common/build_linux.go': '//go:build linux\n\npackage common\n',
        'pkg/iac/pulumi/pulumimodule/common/LICENSE': 'asset beside the code\n',
      },
      'data and nested package',
    )
    const closure = await computeClosure(new GitRepository(up.dir), sha, PULUMI_MODULE_REDIS)
    const paths = closure.entries!.map(e => e.path)
    expect(paths).to.include.members([
      'pkg/iac/pulumi/pulumimodule/common/templates/values.yaml',
      'pkg/iac/pulumi/pulumimodule/common/static/deep/logo.svg',
      'pkg/iac/pulumi/pulumimodule/common/build_linux.go',
      'pkg/iac/pulumi/pulumimodule/common/LICENSE',
    ])
    expect(paths).not.to.include.members(['pkg/iac/pulumi/pulumimodule/common/nested/nested.go'])
    expect(paths).not.to.include('pkg/iac/pulumi/pulumimodule/common/templates/notes.txt')
    expect(paths).not.to.include('pkg/iac/pulumi/pulumimodule/common/docs/readme.md')
  })

  it('brings the local folders that go.mod replaces modules with', async () => {
    const up = createUpstream()
    const goMod = up.git('show', 'HEAD:go.mod')
    const sha = up.commit({
      'go.mod': `${goMod}\nreplace example.com/patched => ./third_party/patched\n`,
      'third_party/patched/go.mod': 'module example.com/patched\n',
      'third_party/patched/p.go': 'package patched\n',
    }, 'local replace')
    const paths = (await computeClosure(new GitRepository(up.dir), sha, PULUMI_MODULE_REDIS)).entries!.map(e => e.path)
    expect(paths).to.include.members(['third_party/patched/go.mod', 'third_party/patched/p.go'])
  })

  it('says why when there is no root go.mod', async () => {
    const up = createUpstream()
    const noGoMod = up.commit({'go.mod': null}, 'drop go.mod')
    expect((await computeClosure(new GitRepository(up.dir), noGoMod, PULUMI_MODULE_REDIS)).reason).to.contain('go.mod')
  })
})

/**
 * The `Pulumi.yaml` of a run that uses a module's program instead of its source: Pulumi's Go
 * runtime with the `binary` option runs the program as it is, without compiling anything. The
 * layout is the reference CLI's (name, runtime go with options.binary, a description); the project
 * name is the stack's project, as the source workspaces get it (see alignProjectName), so that a
 * stack `org/project/stack` is accepted by Pulumi.
 */
import path from 'node:path'
import {stringify} from 'yaml'

import {PlantonError} from '../errors.js'

/** The stack's project for a fully qualified stack (`org/project/stack`), else the kind in lower case (the reference's name). */
export function binaryProjectName(fqdn: string, kind: string): string {
  const parts = fqdn.split('/')
  return parts.length === 3 && parts[1] ? parts[1] : kind.toLowerCase()
}

/** The text of the Pulumi.yaml that runs `binary` (an absolute path) as the program of project `project`. */
export function binaryPulumiYaml(opts: {project: string; binary: string; kind: string}): string {
  if (!path.isAbsolute(opts.binary)) throw new PlantonError(`the module program must be given by an absolute path, not ${opts.binary}`)
  // The yaml library quotes whatever needs it (a home path with ": " or "#" in it).
  return stringify({
    name: opts.project,
    runtime: {name: 'go', options: {binary: opts.binary}},
    description: `Auto-generated workspace for ${opts.kind} binary execution`,
  })
}

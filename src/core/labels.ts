/**
 * The manifest labels the CLI reads (`metadata.labels`), and how it reads one: trimmed, and only
 * when it is a non-empty string.
 */
import type {Manifest} from './manifest.js'

export const LABELS = {
  provisioner: 'project-planton.org/provisioner',
  kubeContext: 'kubernetes.project-planton.org/context',
  stackFqdn: 'pulumi.project-planton.org/stack.fqdn',
  organization: 'pulumi.project-planton.org/organization',
  project: 'pulumi.project-planton.org/project',
  stackName: 'pulumi.project-planton.org/stack.name',
  backendType: 'terraform.project-planton.org/backend.type',
  backendObject: 'terraform.project-planton.org/backend.object',
} as const

export function label(manifest: Manifest, key: string): string | undefined {
  const value = manifest.metadata.labels?.[key]
  return typeof value === 'string' && value.trim() ? value.trim() : undefined
}

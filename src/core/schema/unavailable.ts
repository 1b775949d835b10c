/**
 * "The schema of this kind cannot be built": a result, not an exception, so that a run can say so in
 * one line and go on with the checks it always made (or refuse under --strict).
 */
/**
 * Why: `bad-descriptor` a file's descriptor cannot be read (damaged generated code, a .proto that
 * does not parse); `missing-import` an import names a file the tree does not have; `no-api-proto`
 * the kind's folder has no api.proto; `no-message` api.proto has no message named after the kind;
 * `not-a-monorepo` the folder is not inside a checkout of the monorepo.
 */
export type UnavailableReason = 'bad-descriptor' | 'missing-import' | 'no-api-proto' | 'no-message' | 'not-a-monorepo'

export type SchemaUnavailable = {
  ok: false
  reason: UnavailableReason
  /** one line for the user, e.g. "no api.proto for kind Foo at commit 1a2b3c4d5e6f" */
  message: string
  cause?: unknown
}

export class SchemaBuildError extends Error {
  constructor(readonly reason: UnavailableReason, message: string, opts: {cause?: unknown} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'SchemaBuildError'
  }

  toResult(): SchemaUnavailable {
    return {
      ok: false, reason: this.reason, message: this.message, cause: this.cause,
    }
  }
}

/**
 * Blob contents by object id, and the hand-over that lets two readers of the same blobs (the Go
 * import closure, then the export of its files) share one read from git.
 */

/** Anything that gives a blob's bytes by object id. */
export type BlobSource = {read(oid: string): Promise<Buffer>}

/**
 * Keeps what one reader (the Go import closure) read for one later reader (the export of the same
 * files), so that a blob is inflated by git once: the large generated files of a closure are delta
 * chains that cost more to read than anything else in a first run. Each kept blob is handed over
 * once and then forgotten, so memory stays bounded by what the first reader read.
 */
export class HandOver implements BlobSource {
  private readonly kept = new Map<string, Promise<Buffer>>()

  constructor(private readonly source: BlobSource) {}

  /** For the export: a kept blob (once), else straight from the source. */
  read(oid: string): Promise<Buffer> {
    const kept = this.kept.get(oid)
    if (!kept) return this.source.read(oid)
    this.kept.delete(oid)
    return kept
  }

  /** For the closure: reads from the source and keeps the result for the export. */
  readAndKeep(oid: string): Promise<Buffer> {
    const blob = this.source.read(oid)
    this.kept.set(oid, blob)
    return blob
  }
}

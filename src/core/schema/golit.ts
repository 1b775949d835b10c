/**
 * Reads the serialized FileDescriptorProto that protoc-gen-go embeds in every generated `*.pb.go`
 * file: exactly the descriptor the Go CLI compiles in, custom options included. Two forms occur in
 * the monorepo's history: protoc-gen-go 1.36 writes a concatenation of Go string literals
 * (`const file_x_proto_rawDesc = "" + "\n" + "K…"`), 1.34 writes a byte slice
 * (`var file_x_proto_rawDesc = []byte{0x0a, …}`). Raw string literals (`` `…` ``) are read too.
 *
 * The source is scanned as bytes, so a UTF-8 character written as itself inside a literal is copied
 * as its UTF-8 bytes, as the Go compiler does.
 */

export class GoLiteralError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`)
    this.name = 'GoLiteralError'
  }
}

const DECLARATION = /\b(?:const|var)\s+file_\w*_rawDesc\s*=\s*/

/** The descriptor bytes of a generated Go file, or undefined when it has none (e.g. `*_grpc.pb.go`). */
export function extractRawDescriptor(goSource: Buffer | string): Uint8Array | undefined {
  const src = typeof goSource === 'string' ? Buffer.from(goSource, 'utf8') : goSource
  // The declaration is ASCII: latin1 keeps byte offsets equal to string offsets.
  const match = DECLARATION.exec(src.toString('latin1'))
  if (!match) return undefined
  return new Reader(src, match.index + match[0].length).expression()
}

const BACKSLASH = 0x5C
const QUOTE = 0x22
const BACKTICK = 0x60

class Reader {
  constructor(private readonly src: Buffer, private pos: number) {}

  expression(): Uint8Array {
    this.skipSpace()
    if (this.src.toString('latin1', this.pos, this.pos + 7) === '[]byte{') {
      this.pos += 7
      return this.byteSlice()
    }

    const parts: Uint8Array[] = []
    for (;;) {
      parts.push(this.stringLiteral())
      this.skipSpace()
      if (this.src[this.pos] !== 0x2B /* + */) break
      this.pos++
      this.skipSpace()
    }

    return Buffer.concat(parts)
  }

  /** Spaces, newlines and comments between tokens. */
  private skipSpace(): void {
    for (;;) {
      const c = this.src[this.pos]
      if (c === 0x20 || c === 0x09 || c === 0x0A || c === 0x0D) {
        this.pos++
      } else if (c === 0x2F && this.src[this.pos + 1] === 0x2F) {
        const nl = this.src.indexOf(0x0A, this.pos)
        this.pos = nl === -1 ? this.src.length : nl + 1
      } else if (c === 0x2F && this.src[this.pos + 1] === 0x2A) {
        const end = this.src.indexOf('*/', this.pos + 2, 'latin1')
        if (end === -1) throw new GoLiteralError('unterminated comment', this.pos)
        this.pos = end + 2
      } else {
        return
      }
    }
  }

  private byteSlice(): Uint8Array {
    const out: number[] = []
    for (;;) {
      this.skipSpace()
      if (this.src[this.pos] === 0x7D /* } */) {
        this.pos++
        return Uint8Array.from(out)
      }

      const start = this.pos
      while (this.pos < this.src.length && isWordByte(this.src[this.pos])) this.pos++
      const token = this.src.toString('latin1', start, this.pos)
      const value = parseGoInt(token)
      if (value === undefined || value > 255) throw new GoLiteralError(`not a byte value: ${JSON.stringify(token)}`, start)
      out.push(value)
      this.skipSpace()
      if (this.src[this.pos] === 0x2C /* , */) this.pos++
      else if (this.src[this.pos] !== 0x7D) throw new GoLiteralError('expected "," or "}" in []byte literal', this.pos)
    }
  }

  private stringLiteral(): Uint8Array {
    const open = this.src[this.pos]
    if (open === BACKTICK) return this.rawString()
    if (open !== QUOTE) throw new GoLiteralError('expected a string literal', this.pos)
    const out: number[] = []
    let i = this.pos + 1
    for (;;) {
      const c = this.src[i]
      if (c === undefined || c === 0x0A) throw new GoLiteralError('unterminated string literal', this.pos)
      if (c === QUOTE) break
      if (c === BACKSLASH) {
        i = this.escape(i, out)
      } else {
        out.push(c)
        i++
      }
    }

    this.pos = i + 1
    return Uint8Array.from(out)
  }

  private rawString(): Uint8Array {
    const end = this.src.indexOf(BACKTICK, this.pos + 1)
    if (end === -1) throw new GoLiteralError('unterminated raw string', this.pos)
    // Go drops carriage returns from raw string literals.
    const body = this.src.subarray(this.pos + 1, end).filter(b => b !== 0x0D)
    this.pos = end + 1
    return body
  }

  /** Decodes the escape sequence at `i` (its backslash) into `out`; returns where the literal goes on. */
  private escape(i: number, out: number[]): number {
    const e = String.fromCodePoint(this.src[i + 1])
    const simple = SIMPLE_ESCAPES[e]
    if (simple !== undefined) {
      out.push(simple)
      return i + 2
    }

    if (e === 'x') {
      out.push(this.hex(i + 2, 2))
      return i + 4
    }

    if (e === 'u' || e === 'U') {
      const digits = e === 'u' ? 4 : 8
      const cp = this.hex(i + 2, digits)
      if (cp > 0x10_FF_FF || (cp >= 0xD8_00 && cp <= 0xDF_FF)) throw new GoLiteralError(`invalid Unicode code point \\${e}${cp.toString(16)}`, i)
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'))
      return i + 2 + digits
    }

    if (e >= '0' && e <= '7') {
      const text = this.src.toString('latin1', i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(text) || Number.parseInt(text, 8) > 255) throw new GoLiteralError(`invalid octal escape \\${text}`, i)
      out.push(Number.parseInt(text, 8))
      return i + 4
    }

    throw new GoLiteralError(`unknown escape \\${e}`, i)
  }

  private hex(at: number, digits: number): number {
    const text = this.src.toString('latin1', at, at + digits)
    if (!new RegExp(`^[\\da-fA-F]{${digits}}$`).test(text)) throw new GoLiteralError(`invalid hex escape ${JSON.stringify(text)}`, at)
    return Number.parseInt(text, 16)
  }
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 0x07, b: 0x08, f: 0x0C, n: 0x0A, r: 0x0D, t: 0x09, v: 0x0B, '\\': 0x5C, '"': 0x22, "'": 0x27,
}

/** A Go integer literal (decimal, 0x hex, 0o or leading-0 octal, 0b binary, `_` separators). */
function parseGoInt(token: string): number | undefined {
  const t = token.replaceAll('_', '')
  let m: RegExpExecArray | null
  if ((m = /^0[xX]([\da-fA-F]+)$/.exec(t))) return Number.parseInt(m[1], 16)
  if ((m = /^0[oO]?([0-7]+)$/.exec(t))) return Number.parseInt(m[1], 8)
  if ((m = /^0[bB]([01]+)$/.exec(t))) return Number.parseInt(m[1], 2)
  if (/^(?:0|[1-9]\d*)$/.test(t)) return Number.parseInt(t, 10)
  return undefined
}

/** [0-9A-Za-z_] */
function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b === 0x5F
}

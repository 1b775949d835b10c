/**
 * Platforms in Go's words (GOOS/GOARCH), which name the release assets and the cache entries, and
 * the names of a module's program for one of them.
 */
import {InvalidInputError} from '../errors.js'

export type Platform = {os: string; arch: string}

const GOOS: Partial<Record<NodeJS.Platform, string>> = {
  aix: 'aix', darwin: 'darwin', freebsd: 'freebsd', linux: 'linux', openbsd: 'openbsd', sunos: 'solaris', win32: 'windows',
}
const GOARCH: Record<string, string> = {
  arm: 'arm', arm64: 'arm64', ia32: '386', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x', x64: 'amd64',
}

/** This machine's platform as Go names it, or undefined where Go has no name for it. */
export function currentPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): Platform | undefined {
  const os = GOOS[platform]
  const goarch = GOARCH[arch]
  // ppc64 on Linux is little-endian, which Go calls ppc64le.
  if (os && goarch) return {os, arch: os === 'linux' && goarch === 'ppc64' ? 'ppc64le' : goarch}
  return undefined
}

export function platformLabel(p: Platform): string {
  return `${p.os}_${p.arch}`
}

/**
 * The module name of a kind, as the release assets spell it: the kind in lower case. Kinds are
 * PascalCase words; anything else never becomes part of a URL or a path.
 */
export function moduleName(kind: string): string {
  if (!/^[A-Za-z][\dA-Za-z]{0,99}$/.test(kind)) throw new InvalidInputError(`invalid kind ${JSON.stringify(kind)}: expected letters and digits, such as KubernetesPostgres`)
  return kind.toLowerCase()
}

/** The program's file name in the cache: `pulumi-<module>`, `.exe` on Windows. */
export function programFileName(module: string, p: Platform): string {
  return `pulumi-${module}${p.os === 'windows' ? '.exe' : ''}`
}

/**
 * The release asset of a module's program: `pulumi-<module>_<os>_<arch>.gz`, with `.exe` before
 * `.gz` on Windows (as the release workflows of the monorepo upload them).
 */
export function releaseAssetName(module: string, p: Platform): string {
  return `pulumi-${module}_${platformLabel(p)}${p.os === 'windows' ? '.exe' : ''}.gz`
}

/** ELF e_machine values of the architectures Go builds for. */
const ELF_MACHINE: Record<string, number> = {
  386: 3, amd64: 62, arm: 40, arm64: 183, loong64: 258, mips: 8, mipsle: 8, ppc64: 21, ppc64le: 21, riscv64: 243, s390x: 22,
}
/** Mach-O cputype values (64-bit). */
const MACHO_CPU: Record<string, number> = {amd64: 0x01_00_00_07, arm64: 0x01_00_00_0C}
/** How many leading bytes programFormatProblem looks at. */
export const PROGRAM_HEADER_BYTES = 20

/**
 * Why `head` (the first bytes of a file) is not a program for `p`, or undefined when it is one: an
 * ELF, Mach-O or PE file of the platform's format and architecture. A script with an interpreter
 * line (`#!`) passes too: the check catches what a server sends by mistake (an error page, the
 * program of another platform), and trust comes from HTTPS and the checksum, not from the format.
 */
export function programFormatProblem(head: Buffer, p: Platform): string | undefined {
  if (head.subarray(0, 2).toString('latin1') === '#!') return undefined
  const expected = `not a program for ${p.os}/${p.arch}`
  if (head.length < PROGRAM_HEADER_BYTES) return `${expected} (only ${head.length} bytes)`
  if (head.readUInt32BE(0) === 0x7F_45_4C_46) {
    if (p.os === 'windows' || p.os === 'darwin') return `${expected} (an ELF file)`
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18)
    const want = ELF_MACHINE[p.arch]
    return want === undefined || machine === want ? undefined : `${expected} (an ELF file for machine ${machine})`
  }

  const magic = head.readUInt32LE(0)
  if (magic === 0xFE_ED_FA_CF || magic === 0xFE_ED_FA_CE || head.readUInt32BE(0) === 0xCA_FE_BA_BE) {
    if (p.os !== 'darwin') return `${expected} (a Mach-O file)`
    const want = MACHO_CPU[p.arch]
    const cpu = head.readUInt32LE(4)
    return want === undefined || magic !== 0xFE_ED_FA_CF || cpu === want ? undefined : `${expected} (a Mach-O file for cpu type ${cpu})`
  }

  if (head.subarray(0, 2).toString('latin1') === 'MZ') return p.os === 'windows' ? undefined : `${expected} (a Windows program)`
  return `${expected}: it starts with ${JSON.stringify(head.subarray(0, 8).toString('latin1'))}`
}

// Resolves a module binary in its own process, the way a run does, for tests of concurrency and
// interruption. Usage: node --import tsx resolve-binary-child.ts '<json request>'
// The request is ModuleBinaryRequest's data plus `buildDir` (returned by buildWorkspace). Prints
// the result as JSON on stdout; progress lines go to stderr, and "ready" to stderr once the signal
// handlers are installed. SIGINT/SIGTERM abort the resolution (exit 130/143).
import {resolveModuleBinary} from '../../src/core/binaries/resolve.js'
import {InterruptedError} from '../../src/core/errors.js'
import {SignalTrap} from '../../src/core/signals.js'

const request = JSON.parse(process.argv[2]) as Omit<Parameters<typeof resolveModuleBinary>[0], 'buildWorkspace' | 'env' | 'report' | 'signal'> & {buildDir: string}
const trap = new SignalTrap().install()
process.stderr.write('ready\n')
try {
  const result = await resolveModuleBinary({
    ...request,
    env: process.env,
    signal: trap.signal,
    report: line => process.stderr.write(`${line}\n`),
    async buildWorkspace() {
      return request.buildDir
    },
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`)
  process.exitCode = error instanceof InterruptedError ? error.exitCode : 1
} finally {
  trap.dispose()
}

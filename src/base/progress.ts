/**
 * Task lists on stderr (stdout stays for `--json` and the tools). A live renderer at a terminal;
 * one plain line per event when stderr is not a TTY, has no columns, under CI or tests, or TERM=dumb.
 */
import type {ListrRendererValue, ListrTask} from 'listr2'

export type TaskList<Ctx> = ListrTask<Ctx>[]

export function plainOutput(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    !process.stderr.isTTY
    || !process.stderr.columns
    || env.CI === 'true'
    || env.CI === '1'
    || env.NODE_ENV === 'test'
    || env.TERM === 'dumb'
  )
}

export async function runTasks<Ctx extends object>(tasks: TaskList<Ctx>, opts: {silent?: boolean; ctx?: Ctx} = {}): Promise<Ctx> {
  const {Listr, ListrLogLevels, ListrLogger, ProcessOutput} = await import('listr2')
  // The plain renderer would append the error to its "[FAILED] <title>" line; the command prints it
  // right after, once, with what to do about it.
  class Logger extends ListrLogger {
    log(...[level, message, options]: Parameters<InstanceType<typeof ListrLogger>['log']>): void {
      super.log(level, message, level === ListrLogLevels.FAILED ? {...options, suffix: undefined} : options)
    }
  }

  const logger = new Logger({
    useIcons: !plainOutput(),
    processOutput: new ProcessOutput(process.stderr, process.stderr),
    toStderr: Object.values(ListrLogLevels),
  })
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.LISTR_FORCE_UNICODE ??= '0'
  const list = new Listr<Ctx, ListrRendererValue, ListrRendererValue>(tasks, {
    ctx: opts.ctx,
    concurrent: false,
    exitOnError: true,
    // Our commands handle signals themselves: they must clean up and pass them to the tool.
    registerSignalListeners: false,
    renderer: 'default',
    rendererOptions: {logger, collapseSubtasks: false, showErrorMessage: false} as never,
    fallbackRenderer: 'simple',
    fallbackRendererOptions: {logger} as never,
    fallbackRendererCondition: () => plainOutput(),
    silentRendererCondition: () => opts.silent === true,
  })
  return list.run()
}

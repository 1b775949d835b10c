/**
 * Debug output, switched on with DEBUG=project-planton* (the same variable oclif and simple-git use).
 */
import createDebug from 'debug'

export const debug = createDebug('project-planton')

#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
import {execute} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {standalonePjson} from './standalone.js'

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
await execute({development: true, loadOptions: {root: fileURLToPath(new URL('..', import.meta.url)), pjson: standalonePjson(pjson)}})

import {expect} from 'chai'

import {InvalidInputError} from '../../src/core/errors.js'
import {chooseStagingMode} from '../../src/core/staging-mode.js'

describe('staging mode: which clone a new staging gets', () => {
  it('full by default, lean under CI, the variable over CI, the flag over everything', () => {
    const cases: Array<[Parameters<typeof chooseStagingMode>[0], NodeJS.ProcessEnv, string, string]> = [
      [undefined, {}, 'full', 'default'],
      [undefined, {CI: 'true'}, 'lean', 'CI=true'],
      [undefined, {CI: '1'}, 'lean', 'CI=1'],
      [undefined, {CI: 'false'}, 'full', 'default'],
      [undefined, {CI: ''}, 'full', 'default'],
      [undefined, {PROJECT_PLANTON_STAGING: 'lean'}, 'lean', 'PROJECT_PLANTON_STAGING=lean'],
      [undefined, {CI: 'true', PROJECT_PLANTON_STAGING: 'full'}, 'full', 'PROJECT_PLANTON_STAGING=full'],
      [undefined, {CI: 'true', PROJECT_PLANTON_STAGING: ' Full '}, 'full', 'PROJECT_PLANTON_STAGING=full'],
      [undefined, {CI: 'true', PROJECT_PLANTON_STAGING: ''}, 'lean', 'CI=true'],
      ['lean', {PROJECT_PLANTON_STAGING: 'full'}, 'lean', '--lean'],
      ['full', {CI: 'true', PROJECT_PLANTON_STAGING: 'lean'}, 'full', '--full'],
    ]
    for (const [flag, env, mode, because] of cases) {
      expect(chooseStagingMode(flag, env), `${flag ?? ''} ${JSON.stringify(env)}`).to.deep.equal({mode, because})
    }
  })

  it('refuses any other value of PROJECT_PLANTON_STAGING, naming it, even when a flag decides', () => {
    for (const value of ['thin', 'partial', 'lean ish', '--lean']) {
      expect(() => chooseStagingMode(undefined, {PROJECT_PLANTON_STAGING: value})).to.throw(InvalidInputError, JSON.stringify(value))
      expect(() => chooseStagingMode('lean', {PROJECT_PLANTON_STAGING: value})).to.throw(InvalidInputError, JSON.stringify(value))
    }
  })
})

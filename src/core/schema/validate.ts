/**
 * The `buf.validate` rules of the protos (field rules, message rules, CEL expressions), checked with
 * protovalidate. Every violation is reported, each with its field path and the rule's own message
 * when it has one. The Go CLI validates only `spec`; this validates the whole message, so the
 * `apiVersion`/`kind` constants and `metadata`/`spec` being required are checked too.
 */
import type {Message} from '@bufbuild/protobuf'

import type {KindSchema} from './schema.js'

import {errorMessage} from '../errors.js'
import {type Problem} from './problems.js'

export async function validateMessage(schema: KindSchema, message: Message): Promise<Problem[]> {
  // protovalidate brings a CEL interpreter: loaded only when a manifest is validated.
  const [{createValidator}, {pathToString}] = await Promise.all([import('@bufbuild/protovalidate'), import('@bufbuild/protobuf/reflect')])
  const validator = createValidator({registry: schema.registry})
  const result = validator.validate(schema.message, message)
  switch (result.kind) {
  case 'error': {
    // A rule that does not compile or fails at run time is the module's bug, not the manifest's.
    return [{path: '', message: `the validation rules of ${schema.message.name} could not be checked: ${errorMessage(result.error)}`, kind: 'rule'}]
  }

  case 'invalid': {
    return result.violations.map(v => ({
      path: pathToString(v.field),
      message: v.message || v.ruleId,
      kind: 'rule' as const,
      rule: v.ruleId || undefined,
    }))
  }

  case 'valid': {
    return []
  }
  }
}

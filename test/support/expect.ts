import {expect} from 'chai'

import {InvalidInputError} from '../../src/core/errors.js'

/** The InvalidInputError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejectsInput(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidInputError)
    return error as InvalidInputError
  }

  return expect.fail('accepted')
}

import { describe, expect, it } from 'vitest'
import { MpSocketError, ServerError } from '../../src/errors'

describe('ServerError', () => {
  it('keeps a number or string code as it came, and turns anything else into its string', () => {
    expect(new ServerError('history', 404, 'gone').code).toBe(404)
    expect(new ServerError('history', 'E_GONE', null).code).toBe('E_GONE')
    const odd = new ServerError('history', { nested: true }, 'body')
    expect(odd.code).toBe('[object Object]')
    expect(odd.body).toBe('body')
    expect(odd).toBeInstanceOf(MpSocketError)
    expect(odd.name).toBe('ServerError')
  })
})

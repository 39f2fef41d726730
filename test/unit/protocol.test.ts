import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonProtocol, parseJsonObject } from '../../src/protocol'

describe('jsonProtocol (seed 002 wire format)', () => {
  it('writes requests, one-way messages and pongs byte for byte as the seed server expects', () => {
    expect(jsonProtocol.encodeRequest('abc', 'login', { u: 'user:6', token: 't' })).toBe(
      '{"event":"login","data":{"u":"user:6","token":"t"},"uuid":"abc"}',
    )
    expect(jsonProtocol.encodeRequest('abc', 'ping', undefined)).toBe('{"event":"ping","uuid":"abc"}')
    expect(jsonProtocol.encodeSend('typing', { to: 1 })).toBe('{"event":"typing","data":{"to":1}}')
    expect(jsonProtocol.encodePong(1718000000.5)).toBe('{"event":"response","uuid":1718000000.5}')
    expect(jsonProtocol.encodeLogin).toBeUndefined()
  })

  it('reads replies, pushes and pings', () => {
    expect(jsonProtocol.decode('{"type":"respon","event":"id1","data":{"error":0,"body":"登录成功"}}')).toEqual({
      kind: 'reply',
      id: 'id1',
      ok: true,
      body: '登录成功',
      code: 0,
    })
    expect(jsonProtocol.decode('{"type":"respon","event":"id1","data":{"error":1,"body":"bad"}}')).toMatchObject({
      ok: false,
      code: 1,
      body: 'bad',
    })
    // A reply without data, or with a non-zero string code, is a failure, never a success.
    expect(jsonProtocol.decode('{"type":"respon","event":"id1"}')).toMatchObject({ kind: 'reply', ok: false })
    expect(jsonProtocol.decode('{"type":"respon","event":"id1","data":{"error":"0"}}')).toMatchObject({ ok: false })
    const push = { type: 'app', event: 'user_tabbar', msg: '0', to: 'user:1' }
    expect(jsonProtocol.decode(JSON.stringify(push))).toEqual({ kind: 'push', event: 'user_tabbar', message: push })
    expect(jsonProtocol.decode('{"type":"ping","uuid":1718000000.123}')).toEqual({ kind: 'ping', id: 1718000000.123 })
  })

  it('strips a leading BOM and ignores everything else', () => {
    expect(jsonProtocol.decode('\ufeff{"type":"app","event":"e"}')).toMatchObject({ kind: 'push', event: 'e' })
    for (const frame of ['', 'x', '1', 'null', '"s"', '[]', '{}', '{"type":"app"}', '{"type":"ping"}', '{"type":"other","event":"e"}']) {
      expect(jsonProtocol.decode(frame)).toBeUndefined()
    }
    expect(jsonProtocol.decode(new ArrayBuffer(4))).toBeUndefined()
    expect(parseJsonObject(new Uint8Array([123, 125]).buffer)).toBeUndefined()
  })

  it('reads channels, positions and close frames only when they are well formed', () => {
    const push = (fields: Record<string, unknown>) => jsonProtocol.decode(JSON.stringify({ type: 'app', event: 'e', ...fields }))
    expect(push({ channel: 'c', epoch: 'E', offset: 3 })).toMatchObject({ channel: 'c', position: { epoch: 'E', offset: 3 } })
    expect(push({ channel: 5 })).toMatchObject({ channel: undefined })
    for (const half of [{ epoch: 'E' }, { offset: 3 }, { epoch: 'E', offset: '3' }, { epoch: 1, offset: 3 }]) {
      expect(push(half), JSON.stringify(half)).toMatchObject({ position: undefined })
    }
    expect(jsonProtocol.decode('{"type":"close","code":4409,"reason":"kicked"}')).toEqual({ kind: 'close', code: 4409, reason: 'kicked' })
    expect(jsonProtocol.decode('{"type":"close","code":4409}')).toEqual({ kind: 'close', code: 4409, reason: '' })
    for (const frame of ['{"type":"close","code":"4409"}', '{"type":"other","code":4409}', '{"type":"other","uuid":1}', '{"type":"respon","data":{"error":0}}']) {
      expect(jsonProtocol.decode(frame), frame).toBeUndefined()
    }
    for (const scalar of ['1', 'null', '"s"', 'true']) expect(parseJsonObject(scalar), scalar).toBeUndefined()
  })

  it('reads login refusals: 419 expired, 401 and 403 refused, others not about the token', () => {
    expect([419, 401, 403, 500, 0].map((code) => jsonProtocol.authFailure?.(code, undefined))).toEqual(['expired', 'rejected', 'rejected', undefined, undefined])
  })

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (frame) => {
        jsonProtocol.decode(frame)
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(
        fc.record({ type: fc.constantFrom('respon', 'app', 'ping', 'x'), event: fc.jsonValue(), data: fc.jsonValue(), uuid: fc.jsonValue() }, { requiredKeys: [] }),
        (message) => {
          const decoded = jsonProtocol.decode(JSON.stringify(message))
          if (decoded?.kind === 'reply') expect(decoded.ok).toBe((message.data as { error?: unknown })?.error === 0)
        },
      ),
      { numRuns: 2000 },
    )
  })
})

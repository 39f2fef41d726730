import { describe, expect, it } from 'vitest'
import { isNew } from '../../examples/server/src/delivery'
import type { Session } from '../../examples/server/src/session'

// Pub/sub can announce a publication after a replay already carried it (stored before the replay
// read the stream, announced after): the live path must not send it a second time.
describe('live delivery after a replay', () => {
  const publication = (offset: number, epoch = 'E') => ({ stream: 'c:fleet', epoch, offset, data: '{"event":"e"}' })

  it('sends a publication once per socket, whatever the order in which replay and pub/sub bring it', () => {
    const session = { latest: new Map() } as unknown as Session
    // The recovery reply said the socket has everything up to 5.
    session.latest.set('c:fleet', { epoch: 'E', offset: 5 })
    expect(isNew(session, publication(4))).toBe(false)
    expect(isNew(session, publication(5))).toBe(false)
    expect(isNew(session, publication(6))).toBe(true)
    expect(isNew(session, publication(6))).toBe(false)
    // History lost: a new epoch starts over from 1.
    expect(isNew(session, publication(1, 'F'))).toBe(true)
    expect(isNew(session, publication(1, 'F'))).toBe(false)
  })
})

import { DedupeWindow, type DedupeLimits } from './dedupe-window'

/** Request ids this long at most are deduplicated; a longer one answers 400 and runs nothing. */
export const MAX_REQUEST_ID = 64

/**
 * Where the nodes of a cluster share what they ran (Redis): `claim` takes (user, id) for this node
 * unless someone has it, telling what is there instead.
 */
export interface DedupeStore {
  /** False while the store cannot be reached: requests are then deduplicated on this node only. */
  readonly available: boolean
  /**
   * What the stored replies belong to, told to clients with the window (`dedupeScope`): a client
   * resends only to a server of the same scope, so a store that lost its entries (flushed, a new
   * Redis) gets a new one and no request runs twice.
   */
  scope(): Promise<string>
  claim(user: string, id: string, window: number): Promise<'claimed' | 'running' | { reply: string }>
  /** Keeps this node's claim on (user, id) for another `window` ms while its handler still runs. */
  extend(user: string, id: string, window: number): Promise<void>
  /** The stored reply, `running` while its node still runs it, undefined once the claim is gone. */
  read(user: string, id: string): Promise<'running' | { reply: string } | undefined>
  store(user: string, id: string, reply: string, window: number): Promise<void>
  forget(user: string, id: string): Promise<void>
}

/**
 * Runs a request: its reply's `data` as JSON text, or a promise of it for a handler that answers
 * later; never throws or rejects.
 */
export type RunRequest = () => string | Promise<string>

/**
 * Runs each (user, id) once within the window: the first arrival runs it, a duplicate while it
 * runs waits for its reply, a later one gets the stored reply without running anything. On one
 * node the window is all; with a store, a request this node does not know costs one round trip
 * (the claim) before it runs, and a duplicate running on another node is polled for its reply.
 * While the store cannot be reached (Redis down), the node keeps serving, deduplicating on its
 * own: a retry that reaches another node then may run again. A request whose duplicate runs
 * elsewhere but whose reply never comes answers `unavailable` and is not remembered.
 */
export function createDedupe(limits: DedupeLimits, options: { store?: () => DedupeStore | undefined; unavailable: string; log: (...args: unknown[]) => void }) {
  const { log } = options
  const forget = (user: string, id: string) => {
    options.store?.()?.forget(user, id).catch((error) => log('dedupe forget failed:', (error as Error).message))
  }
  // In memory only, nothing is told of evictions (no id is decoded for it).
  const known = new DedupeWindow(limits, options.store && forget)

  /** The reply, or undefined when no node could answer for the request (its claim could not be made). */
  async function throughStore(store: DedupeStore, user: string, id: string, run: RunRequest): Promise<string | undefined> {
    // A claim lasts the window past its node's last sign of life: once it is gone without a reply
    // (its node died), the request is taken over.
    for (let round = 0; round < 3; round++) {
      let found: Awaited<ReturnType<DedupeStore['claim']>>
      try {
        found = await store.claim(user, id, limits.window)
      } catch (error) {
        log('dedupe claim failed, deduplicating on this node only:', (error as Error).message)
        return run()
      }
      if (found === 'claimed') {
        const reply = await holding(store, user, id, run)
        store.store(user, id, reply, limits.window).catch((error) => log('dedupe store failed:', (error as Error).message))
        return reply
      }
      if (found !== 'running') return found.reply
      const reply = await pollFor(store, user, id, limits.window)
      if (reply !== undefined) return reply
    }
    return undefined
  }

  /**
   * Runs a request this node claimed, renewing the claim every third of the window while its handler
   * is at work: a handler slower than the window would otherwise lose it, and a resend reaching
   * another node would run the request again.
   */
  async function holding(store: DedupeStore, user: string, id: string, run: RunRequest): Promise<string> {
    const reply = run()
    if (typeof reply === 'string') return reply
    const renew = () => void store.extend(user, id, limits.window).catch((error) => log('dedupe claim renewal failed:', (error as Error).message))
    const timer = setInterval(renew, Math.max(1, Math.floor(limits.window / 3))).unref()
    try {
      return await reply
    } finally {
      clearInterval(timer)
    }
  }

  /** Remembers (user, id) as running until `outcome` tells its reply. */
  function track(user: string, id: string, outcome: Promise<string | undefined>): Promise<string> {
    // Nothing is remembered of a request that did not run here or elsewhere: a retry may run it.
    const running: Promise<string> = outcome.then((reply) => {
      if (reply === undefined) known.abandon(user, id, running)
      else known.finish(user, id, running, reply)
      return reply ?? options.unavailable
    })
    known.start(user, id, running)
    return running
  }

  return {
    known,
    /** The reply of (user, id): at once for a known one, or a handler that answered at once on one node. */
    once(user: string, id: string, run: RunRequest): string | Promise<string> {
      const seen = known.get(user, id)
      if (seen) return 'reply' in seen ? seen.reply : seen.running
      const store = options.store?.()
      if (store?.available) return track(user, id, throughStore(store, user, id, run).catch((error) => void log('dedupe unavailable:', (error as Error).message)))
      const reply = run()
      if (typeof reply !== 'string') return track(user, id, reply)
      // The common case costs no promise: the reply is remembered as it is sent.
      known.keep(user, id, reply)
      return reply
    },
  }
}

export type Dedupe = ReturnType<typeof createDedupe>

/** Polls the store for a reply, more slowly as it waits, until the claim is gone or `window` passed. */
async function pollFor(store: DedupeStore, user: string, id: string, window: number): Promise<string | undefined> {
  const deadline = Date.now() + window
  for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
    await new Promise((resolve) => setTimeout(resolve, delay).unref())
    const found = await store.read(user, id)
    if (found === undefined) return undefined
    if (found !== 'running') return found.reply
  }
  return undefined
}

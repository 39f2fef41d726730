/** Request ids this long at most are deduplicated; a longer one answers 400 and runs nothing. */
export const MAX_REQUEST_ID = 64

export interface DedupeLimits {
  /** A reply is remembered this long after it was sent, in ms. */
  window: number
  /** Requests remembered at most, over all users. */
  entries: number
  /** Requests remembered at most per user, so that one socket sending fresh ids cannot crowd out the others. */
  perUser: number
}

/** What is known of a request: still running (its reply to come), or finished with this reply. */
export type Known = { running: Promise<string> } | { reply: string }

interface Entry {
  user: string
  id: string
  running?: Promise<string>
  reply?: string
  /** When a finished entry is forgotten; a running one is kept until it finishes (or is evicted). */
  expires: number
  /** Its place among all entries, and among its user's. */
  inAll?: Link
  inUser?: Link
}

interface Link {
  readonly entry: Entry
  older?: Link
  newer?: Link
}

/**
 * Entries oldest first, each added, unlinked and the oldest read in O(1). A Map or Set kept in
 * order does not do: reading its first entry scans past every entry deleted before it (about 2 µs
 * a request at 1,000 entries, the whole cost of dedupe in the benchmark).
 */
class Chain {
  oldest?: Link
  newest?: Link
  size = 0

  push(entry: Entry): Link {
    const link: Link = { entry, older: this.newest }
    if (this.newest) this.newest.newer = link
    else this.oldest = link
    this.newest = link
    this.size++
    return link
  }

  unlink(link: Link) {
    if (link.older) link.older.newer = link.newer
    else this.oldest = link.newer
    if (link.newer) link.newer.older = link.older
    else this.newest = link.older
    this.size--
  }
}

interface UserEntries {
  ids: Map<string, Entry>
  order: Chain
}

/**
 * The requests of the last `window` ms by (user, id), in memory, bounded: past `perUser` entries
 * of a user, or `entries` in all, the oldest is forgotten first (a retry of it would run again).
 * Replies are kept as the JSON text of the reply's `data`, error replies too.
 */
export class DedupeWindow {
  /** Running entries where they arrived, finished ones moved to the end when they finish: expiries grow from the front. */
  private readonly all = new Chain()
  private readonly byUser = new Map<string, UserEntries>()
  private nextSweep = 0

  constructor(
    private readonly limits: DedupeLimits,
    /** Hears each entry forgotten before its time (to forget it in Redis too). */
    private readonly evicted: (user: string, id: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get size() {
    return this.all.size
  }

  /** Requests of `user` remembered. */
  countOf(user: string) {
    return this.byUser.get(user)?.order.size ?? 0
  }

  get(user: string, id: string): Known | undefined {
    this.sweep()
    const entry = this.byUser.get(user)?.ids.get(id)
    if (!entry || entry.expires <= this.now()) return undefined
    return entry.reply !== undefined ? { reply: entry.reply } : { running: entry.running! }
  }

  /** Remembers that (user, id) runs now; `running` resolves with its reply. */
  start(user: string, id: string, running: Promise<string>) {
    this.add({ user, id, running, expires: Infinity })
  }

  /** Remembers the reply of (user, id), which ran and answered at once, for `window` ms. */
  keep(user: string, id: string, reply: string) {
    this.add({ user, id, reply, expires: this.now() + this.limits.window })
  }

  /** Keeps the reply of (user, id) for `window` ms, unless the entry was forgotten or replaced meanwhile. */
  finish(user: string, id: string, running: Promise<string>, reply: string) {
    const entry = this.byUser.get(user)?.ids.get(id)
    if (!entry || entry.running !== running) return
    this.all.unlink(entry.inAll!)
    entry.running = undefined
    entry.reply = reply
    entry.expires = this.now() + this.limits.window
    entry.inAll = this.all.push(entry)
  }

  /** Forgets (user, id) if it is still this run's. */
  abandon(user: string, id: string, running: Promise<string>) {
    if (this.byUser.get(user)?.ids.get(id)?.running === running) this.remove(user, id)
  }

  private add(entry: Entry) {
    const { user, id } = entry
    this.remove(user, id)
    for (let mine = this.byUser.get(user); mine && mine.order.size >= this.limits.perUser; mine = this.byUser.get(user)) {
      this.evict(mine.order.oldest!.entry)
    }
    while (this.all.size >= this.limits.entries) this.evict(this.all.oldest!.entry)
    // Evictions may have dropped the user's entries: take them only now.
    let mine = this.byUser.get(user)
    if (!mine) this.byUser.set(user, (mine = { ids: new Map(), order: new Chain() }))
    mine.ids.set(id, entry)
    entry.inUser = mine.order.push(entry)
    entry.inAll = this.all.push(entry)
  }

  private evict(entry: Entry) {
    this.remove(entry.user, entry.id)
    this.evicted(entry.user, entry.id)
  }

  private remove(user: string, id: string) {
    const mine = this.byUser.get(user)
    const entry = mine?.ids.get(id)
    if (!mine || !entry) return
    mine.ids.delete(id)
    mine.order.unlink(entry.inUser!)
    if (mine.order.size === 0) this.byUser.delete(user)
    this.all.unlink(entry.inAll!)
  }

  /** Drops expired entries from the front, at most once per tenth of the window. */
  private sweep() {
    const now = this.now()
    if (now < this.nextSweep) return
    this.nextSweep = now + this.limits.window / 10
    for (let link = this.all.oldest; link; ) {
      const { entry } = link
      link = link.newer
      if (entry.reply === undefined) continue
      if (entry.expires > now) break
      this.remove(entry.user, entry.id)
    }
  }
}

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
  const known = new DedupeWindow(limits, forget)

  /** The reply, or undefined when no node could answer for the request (its claim could not be made). */
  async function throughStore(store: DedupeStore, user: string, id: string, run: RunRequest): Promise<string | undefined> {
    // A claim lasts the window: once it is gone without a reply (its node died), the request is taken over.
    for (let round = 0; round < 3; round++) {
      let found: Awaited<ReturnType<DedupeStore['claim']>>
      try {
        found = await store.claim(user, id, limits.window)
      } catch (error) {
        log('dedupe claim failed, deduplicating on this node only:', (error as Error).message)
        return run()
      }
      if (found === 'claimed') {
        const reply = await run()
        store.store(user, id, reply, limits.window).catch((error) => log('dedupe store failed:', (error as Error).message))
        return reply
      }
      if (found !== 'running') return found.reply
      const reply = await pollFor(store, user, id, limits.window)
      if (reply !== undefined) return reply
    }
    return undefined
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

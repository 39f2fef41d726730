import { randomInt } from 'node:crypto'

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

/** Bytes of the arena a finished request takes: its header, then its id and reply when they fit (most do). */
const RECORD = 128
/** The header: int32 fields at these indexes of a record's RECORD / 4, its expiry a float64 at EXPIRES of RECORD / 8. */
const OWNER = 0
const HASH = 1
const OLDER = 2
const NEWER = 3
const ID_LENGTH = 4
const REPLY_LENGTH = 5
const EXPIRES = 3
const HEADER = 32
/** Bytes for the id and reply. */
const ROOM = RECORD - HEADER
const INTS = RECORD / 4
const FLOATS = RECORD / 8
/** The slots a window starts with; they double as needed. */
const FIRST_CAPACITY = 64
/** Requests remembered at most whatever the limits say: 2^23 slots, 1 GiB of records, at most. */
export const MAX_ENTRIES = 2 ** 22
const NONE = -1

interface UserEntries {
  readonly user: string
  /** The user's number in the slots, reused once the user has nothing remembered. */
  readonly number: number
  /** Requests remembered: finished (in slots) and running. */
  count: number
  /** The user's oldest and newest finished slots, NONE when there are none. */
  oldest: number
  newest: number
  /** The user's requests still running, oldest first. */
  running?: Map<string, Promise<string>>
}

/** A finished request whose id is not ASCII or whose id and reply outgrow a record: kept as strings. */
interface Spilled {
  id: string
  reply: string
}

/**
 * The requests of the last `window` ms by (user, id), in memory, bounded: past `perUser` entries
 * of a user, or `entries` in all, the oldest finished one is forgotten first (a retry of it would
 * run again), a running one only when nothing has finished. Replies are kept as the JSON text of
 * the reply's `data`, error replies too.
 *
 * A finished request costs no JavaScript object: it is a record of one arena, a header of numbers
 * (its user, hash, expiry, its user's links) then its id's and reply's bytes, found through an
 * open-addressing table of slot numbers. As objects, entries that live a minute were copied and
 * promoted by every minor GC: 30 MB promoted per 100,000 requests at 64 in flight, 3.6 MB without
 * dedupe, most of what dedupe cost. Slots are kept in the order their requests finished, which is
 * the order they expire; one forgotten out of turn (a user's oldest, a request started again)
 * leaves a hole that the ring skips and a relayout closes.
 */
export class DedupeWindow {
  private readonly byUser = new Map<string, UserEntries>()
  /** Users by number, and the numbers free for reuse. */
  private readonly byNumber: UserEntries[] = []
  private readonly freeNumbers: number[] = []
  /** The user of the last call: a request is looked up, admitted and stored one after the other. */
  private recent?: UserEntries
  /** Users with running requests, and how many run in all. */
  private readonly withRunning = new Set<UserEntries>()
  private runningCount = 0
  /** The hash's random basis, and the last (user, id) hashed. */
  private readonly seed = randomInt(0x7fffffff)
  private lastUser = NONE
  private lastId = ''
  private lastHash = 0
  private nextSweep = 0
  /** At most twice the slots `entries` needs, so that a relayout always frees half of them. */
  private readonly maxCapacity: number

  private capacity = 0
  /** The ring: `used` slots from `head`, of which `live` hold a finished request. */
  private head = 0
  private used = 0
  private live = 0
  /**
   * The slots' records, RECORD bytes each: a header of numbers (read through `ints` and `floats`,
   * views of the same memory) and the id's and reply's bytes after it, so that a request touches
   * one or two cache lines, not one per field.
   */
  private arena = Buffer.alloc(0)
  private ints = new Int32Array(0)
  private floats = new Float64Array(0)
  private spilled: Array<Spilled | undefined> = []
  /** Slot + 1 by hash, linear probing, 0 for free; twice the slots, so at most half full. */
  private table = new Int32Array(0)

  private readonly limits: DedupeLimits

  constructor(
    limits: DedupeLimits,
    /** Hears each entry forgotten before its time (to forget it in Redis too). */
    private readonly evicted?: (user: string, id: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...limits, entries: Math.min(limits.entries, MAX_ENTRIES) }
    let slots = FIRST_CAPACITY
    while (slots < this.limits.entries) slots *= 2
    this.maxCapacity = slots * 2
    this.relayout(FIRST_CAPACITY)
  }

  get size() {
    return this.live + this.runningCount
  }

  /** Requests of `user` remembered. */
  countOf(user: string) {
    return this.entriesOf(user)?.count ?? 0
  }

  get(user: string, id: string): Known | undefined {
    const mine = this.entriesOf(user)
    if (!mine) return undefined
    const running = mine.running?.get(id)
    if (running) return { running }
    const slot = this.find(mine.number, id)
    if (slot === NONE || this.floats[slot * FLOATS + EXPIRES] <= this.now()) return undefined
    const spilled = this.spilled[slot]
    if (spilled) return { reply: spilled.reply }
    const start = slot * RECORD + HEADER + this.ints[slot * INTS + ID_LENGTH]
    return { reply: this.arena.toString('utf8', start, start + this.ints[slot * INTS + REPLY_LENGTH]) }
  }

  /** Remembers that (user, id) runs now; `running` resolves with its reply. */
  start(user: string, id: string, running: Promise<string>) {
    const mine = this.admit(user, id)
    if (!mine.running) mine.running = new Map()
    mine.running.set(id, running)
    this.withRunning.add(mine)
    this.runningCount++
  }

  /** Remembers the reply of (user, id), which ran and answered at once, for `window` ms. */
  keep(user: string, id: string, reply: string) {
    this.store(this.admit(user, id), id, reply)
  }

  /** Keeps the reply of (user, id) for `window` ms, unless the entry was forgotten or replaced meanwhile. */
  finish(user: string, id: string, running: Promise<string>, reply: string) {
    const mine = this.entriesOf(user)
    if (!mine || mine.running?.get(id) !== running) return
    this.stopRunning(mine, id) // still counted: it becomes a finished one
    this.store(mine, id, reply)
  }

  /** Forgets (user, id) if it is still this run's. */
  abandon(user: string, id: string, running: Promise<string>) {
    const mine = this.entriesOf(user)
    if (!mine || mine.running?.get(id) !== running) return
    this.stopRunning(mine, id)
    this.release(mine)
  }

  /** The user's entries with room for one more (user, id): any earlier entry of it gone, the bounds kept. */
  private admit(user: string, id: string): UserEntries {
    let mine = this.entriesOf(user)
    if (mine) {
      if (mine.running?.has(id)) {
        this.stopRunning(mine, id)
        this.release(mine)
      } else {
        const slot = this.find(mine.number, id)
        if (slot !== NONE) this.remove(slot)
      }
    }
    for (mine = this.entriesOf(user); mine && mine.count >= this.limits.perUser; mine = this.entriesOf(user)) this.evictOf(mine)
    while (this.size >= this.limits.entries) this.evictOldest()
    // Evictions may have dropped the user's entries: take them only now.
    mine = this.entriesOf(user)
    if (!mine) {
      mine = { user, number: this.freeNumbers.pop() ?? this.byNumber.length, count: 0, oldest: NONE, newest: NONE }
      this.byNumber[mine.number] = mine
      this.byUser.set(user, mine)
    }
    mine.count++
    return mine
  }

  private entriesOf(user: string) {
    if (this.recent?.user !== user) this.recent = this.byUser.get(user)
    return this.recent
  }

  /** Puts a finished request of `mine` in the newest slot. */
  private store(mine: UserEntries, id: string, reply: string) {
    if (this.used === this.capacity) this.relayout(this.live > this.capacity / 2 && this.capacity < this.maxCapacity ? this.capacity * 2 : this.capacity)
    const slot = (this.head + this.used) & (this.capacity - 1)
    this.used++
    this.live++
    const start = slot * RECORD + HEADER
    // An ASCII id is one byte per character (and reads back as latin1); any other is spilled.
    const idLength = putAscii(this.arena, id, start, ROOM)
    const replyLength = idLength === NONE ? NONE : put(this.arena, reply, start + idLength, ROOM - idLength)
    if (replyLength === NONE) this.spilled[slot] = { id, reply }
    else {
      this.ints[slot * INTS + ID_LENGTH] = idLength
      this.ints[slot * INTS + REPLY_LENGTH] = replyLength
    }
    this.ints[slot * INTS + OWNER] = mine.number
    this.ints[slot * INTS + HASH] = this.hashOf(mine.number, id)
    const now = this.now()
    this.floats[slot * FLOATS + EXPIRES] = now + this.limits.window
    this.ints[slot * INTS + OLDER] = mine.newest
    this.ints[slot * INTS + NEWER] = NONE
    if (mine.newest !== NONE) this.ints[mine.newest * INTS + NEWER] = slot
    else mine.oldest = slot
    mine.newest = slot
    this.insert(slot)
    if (now >= this.nextSweep) this.sweep(now)
  }

  private stopRunning(mine: UserEntries, id: string) {
    mine.running!.delete(id)
    if (mine.running!.size === 0) this.withRunning.delete(mine)
    this.runningCount--
  }

  /** One entry of `mine` fewer: a user with none left is forgotten and its number reused. */
  private release(mine: UserEntries) {
    if (--mine.count > 0) return
    this.byUser.delete(mine.user)
    this.freeNumbers.push(mine.number)
    if (this.recent === mine) this.recent = undefined
  }

  /** Forgets the oldest finished request of `mine`, or its oldest running one. */
  private evictOf(mine: UserEntries) {
    if (mine.oldest !== NONE) return this.evictSlot(mine.oldest)
    const [id] = mine.running!.keys()
    const { user } = mine
    this.stopRunning(mine, id)
    this.release(mine)
    this.evicted?.(user, id)
  }

  private evictOldest() {
    if (this.live > 0) return this.evictSlot(this.head)
    const [mine] = this.withRunning
    this.evictOf(mine)
  }

  private evictSlot(slot: number) {
    const { user } = this.byNumber[this.ints[slot * INTS + OWNER]]
    const id = this.evicted && this.idAt(slot)
    this.remove(slot)
    if (id !== undefined) this.evicted!(user, id)
  }

  /** Drops expired entries from the front; done as entries are added, at most once per tenth of the window. */
  private sweep(now: number) {
    this.nextSweep = now + this.limits.window / 10
    while (this.live > 0 && this.floats[this.head * FLOATS + EXPIRES] <= now) this.remove(this.head)
  }

  /** Forgets a finished request: out of the table and its user's list, its slot a hole the ring skips. */
  private remove(slot: number) {
    const mine = this.byNumber[this.ints[slot * INTS + OWNER]]
    this.unindex(slot)
    const older = this.ints[slot * INTS + OLDER]
    const newer = this.ints[slot * INTS + NEWER]
    if (older !== NONE) this.ints[older * INTS + NEWER] = newer
    else mine.oldest = newer
    if (newer !== NONE) this.ints[newer * INTS + OLDER] = older
    else mine.newest = older
    this.ints[slot * INTS + OWNER] = NONE
    this.spilled[slot] = undefined
    this.live--
    this.release(mine)
    const mask = this.capacity - 1
    while (this.used > 0 && this.ints[this.head * INTS + OWNER] === NONE) {
      this.head = (this.head + 1) & mask
      this.used--
    }
  }

  private hashOf(user: number, id: string) {
    // A request is looked up, then admitted and stored: one hash for the three.
    if (id === this.lastId && user === this.lastUser) return this.lastHash
    // FNV-1a from a per-window random basis, then a final mix: ids a client picks cannot be made to collide.
    let hash = this.seed ^ Math.imul(user, 0x9e3779b1)
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
    hash ^= hash >>> 15
    hash = Math.imul(hash, 0x2c1b3c6d)
    this.lastUser = user
    this.lastId = id
    return (this.lastHash = hash ^ (hash >>> 12))
  }

  private idAt(slot: number) {
    const start = slot * RECORD + HEADER
    return this.spilled[slot]?.id ?? this.arena.toString('latin1', start, start + this.ints[slot * INTS + ID_LENGTH])
  }

  /** The slot of (user, id), or NONE. */
  private find(user: number, id: string) {
    const hash = this.hashOf(user, id)
    const mask = this.table.length - 1
    for (let at = hash & mask; this.table[at] !== 0; at = (at + 1) & mask) {
      const slot = this.table[at] - 1
      if (this.ints[slot * INTS + HASH] === hash && this.ints[slot * INTS + OWNER] === user && this.idAt(slot) === id) return slot
    }
    return NONE
  }

  private insert(slot: number) {
    const mask = this.table.length - 1
    let at = this.ints[slot * INTS + HASH] & mask
    while (this.table[at] !== 0) at = (at + 1) & mask
    this.table[at] = slot + 1
  }

  /** Takes `slot` out of the table, moving back the entries after it that its place was in the way of. */
  private unindex(slot: number) {
    const mask = this.table.length - 1
    let hole = this.ints[slot * INTS + HASH] & mask
    while (this.table[hole] !== slot + 1) hole = (hole + 1) & mask
    for (let at = (hole + 1) & mask; this.table[at] !== 0; at = (at + 1) & mask) {
      const home = this.ints[(this.table[at] - 1) * INTS + HASH] & mask
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        this.table[hole] = this.table[at]
        hole = at
      }
    }
    this.table[hole] = 0
  }

  /** Moves the live slots, in order, to the front of `capacity` new ones: holes closed, table rebuilt. */
  private relayout(capacity: number) {
    const moved = new Int32Array(Math.max(this.capacity, 1)).fill(NONE)
    const arena = Buffer.allocUnsafeSlow(capacity * RECORD)
    const ints = new Int32Array(arena.buffer, arena.byteOffset, capacity * INTS)
    const spilled: Array<Spilled | undefined> = new Array(capacity)
    let to = 0
    for (let k = 0; k < this.used; k++) {
      const from = (this.head + k) & (this.capacity - 1)
      if (this.ints[from * INTS + OWNER] === NONE) continue
      moved[from] = to
      spilled[to] = this.spilled[from]
      this.arena.copy(arena, to * RECORD, from * RECORD, from * RECORD + RECORD)
      to++
    }
    // The users' lists: what each record's links point to moved too.
    for (let at = 0; at < to * INTS; at += INTS) {
      if (ints[at + OLDER] !== NONE) ints[at + OLDER] = moved[ints[at + OLDER]]
      if (ints[at + NEWER] !== NONE) ints[at + NEWER] = moved[ints[at + NEWER]]
    }
    for (const mine of this.byUser.values()) {
      if (mine.oldest !== NONE) mine.oldest = moved[mine.oldest]
      if (mine.newest !== NONE) mine.newest = moved[mine.newest]
    }
    this.capacity = capacity
    this.head = 0
    this.used = to
    this.arena = arena
    this.ints = ints
    this.floats = new Float64Array(arena.buffer, arena.byteOffset, capacity * FLOATS)
    this.spilled = spilled
    this.table = new Int32Array(capacity * 2)
    for (let slot = 0; slot < to; slot++) this.insert(slot)
  }
}

/**
 * Writes ASCII `text` at `at` within `room` bytes: its length, or NONE when it does not fit or is
 * not ASCII. For an id (a dozen characters) a loop is cheaper than Buffer's `write`, a call into C++.
 */
function putAscii(arena: Buffer, text: string, at: number, room: number) {
  if (text.length > room) return NONE
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) return NONE
    arena[at + i] = code
  }
  return text.length
}

/** Writes `text` as UTF-8 at `at` within `room` bytes: the bytes written, or NONE when it does not fit. */
function put(arena: Buffer, text: string, at: number, room: number) {
  if (text.length > room) return NONE
  const written = arena.write(text, at, room, 'utf8')
  // Writing stops short only where the next character's bytes do not fit in what is left.
  return written <= room - 4 || written === Buffer.byteLength(text) ? written : NONE
}

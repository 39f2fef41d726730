import type EventEmitterType from 'eventemitter3'
import { ServerError } from './errors'
import type { Position } from './protocol'
import type { HistoryOptions, Presence, PresenceChange, Publication, Recovery, Subscription } from './types'

/** A reply body that carries a stream position (login and subscribe replies of the reference server). */
type PositionReply = Partial<Position> & { recovered?: unknown }

/** What subscriptions need from the client. @internal */
export interface SubscriptionHooks {
  EventEmitter: new () => EventEmitterType
  /**
   * A request on the socket open now (skips the queue); `undefined` while offline. With `queued`,
   * one as `socket.request` makes it, queued while offline.
   */
  request(event: string, data: unknown, queued?: boolean): Promise<unknown> | undefined
  /** The client's guarded handler registration and removal, behind its own `on` and `off`. */
  listen(emitter: EventEmitterType, event: string | symbol, listener: (...args: never[]) => void): () => void
  unlisten(emitter: EventEmitterType, event: string, handler: unknown): void
  log(...args: unknown[]): void
  /** The last position handled per stream (`''`: the user's own pushes), shared with persist.ts. */
  positions: Map<string, Position>
  /** A position moved forward. */
  moved(): void
}

/** The `onSubscribed` listeners' key, beside the handlers' event names: no event name can equal it. */
const SUBSCRIBED = Symbol()
/** The `onPresence` listeners' key: join and leave pushes (event `$presence`) never reach `on()`. */
const PRESENCE = Symbol()

/**
 * Channels and positions: the last position handled per stream (`''` is the user's own pushes),
 * presented at login and subscribe so the server replays what was missed, and used to drop what
 * was already handled, so handlers see each message once.
 * @internal
 */
export function createSubscriptions(hooks: SubscriptionHooks) {
  const { EventEmitter, request, listen, unlisten, log, positions, moved } = hooks
  // Beside what the app sees of a subscription, its internal fields (`_`: shortened in the published build).
  const active = new Map<string, Subscription & { handlers_: EventEmitterType; subscribe_(): void }>()

  /** Keeps `position` for `stream` unless it is not newer; `false`: already handled. */
  function accept(stream: string, position: Position) {
    const kept = positions.get(stream)
    if (kept && kept.epoch === position.epoch) {
      if (position.offset <= kept.offset) return false
      // Moved in place: one object per stream, not one per push kept until the next (a process
      // holding thousands of clients copied each of them in a young-generation collection).
      kept.offset = position.offset
    } else positions.set(stream, position)
    moved()
    return true
  }

  /** Reads a reply's position and `recovered` flag; `undefined` for servers without positions. */
  function settle(stream: string, body: unknown): Recovery | undefined {
    const reply = body as PositionReply | undefined
    if (!reply || typeof reply !== 'object' || typeof reply.recovered !== 'boolean') return
    // Only the position: the rest of the reply (recovered, dedupe...) must not go back as `since`.
    if (typeof reply.epoch === 'string' && typeof reply.offset === 'number') accept(stream, { epoch: reply.epoch, offset: reply.offset })
    return { recovered: reply.recovered }
  }

  function subscribe(channel: string): Subscription {
    const existing = active.get(channel)
    if (existing) return existing
    const handlers = new EventEmitter()
    let settleFirst!: [(recovery: Recovery) => void, (error: Error) => void]
    const first = new Promise<Recovery>((resolve, reject) => {
      settleFirst = [resolve, reject]
    })
    // A rejection nobody asked for through ready() must not surface as unhandled.
    first.then(undefined, () => {})
    const subscription = {
      channel,
      handlers_: handlers,
      on: (event: string, handler: (message: never) => void) => listen(handlers, event, handler),
      off: (event: string, handler: unknown) => unlisten(handlers, event, handler),
      onSubscribed: (listener: (recovery: Recovery) => void) => listen(handlers, SUBSCRIBED, listener),
      ready: () => first,
      presence: () => request('presence', { channel }, true) as Promise<Presence>,
      onPresence: (listener: (change: PresenceChange) => void) => listen(handlers, PRESENCE, listener),
      // The server sends each publication as `{ event, message, position }`, as handlers got it.
      history: (options: HistoryOptions) => request('history', Object.assign({ channel }, options), true) as Promise<Publication[]>,
      unsubscribe() {
        if (active.get(channel) !== subscription) return
        active.delete(channel)
        positions.delete(channel)
        handlers.removeAllListeners()
        const sent = request('unsubscribe', { channel })
        if (sent) sent.then(undefined, (error) => log('unsubscribe', channel, error))
      },
      /** Sends the subscribe with the position kept; called now when online and after every login. */
      subscribe_() {
        const sent = request('subscribe', { channel, since: positions.get(channel) || null })
        if (!sent) return
        sent.then(
          (body) => {
            if (active.get(channel) !== subscription) return
            const recovery = settle(channel, body) || { recovered: false }
            handlers.emit(SUBSCRIBED, recovery)
            // Only the first settles `ready()`: a settled promise ignores the rest.
            settleFirst[0](recovery)
          },
          (error: Error) => {
            // Refused (not allowed, bad name): not retried on the next connection. A dropped
            // connection (ClosedError) subscribes again after the next login.
            if (!(error instanceof ServerError) || active.get(channel) !== subscription) return
            log('subscribe refused', channel, error)
            active.delete(channel)
            settleFirst[1](error)
          },
        )
      },
    }
    active.set(channel, subscription)
    subscription.subscribe_()
    return subscription
  }

  return {
    subscribe,
    /** The position to present at login (`null`: none yet, but positions are wanted). */
    since: () => positions.get('') || null,
    /** After a login: reads its reply, then follows every channel again. */
    loggedIn(body: unknown) {
      const recovery = settle('', body)
      for (const subscription of active.values()) subscription.subscribe_()
      return recovery
    },
    /**
     * Routes a push: a channel publication to its subscription's handlers, a user push back to the
     * client's (`true`). Already handled (or for a channel no longer followed): dropped.
     */
    route(event: string, message: unknown, channel: string | undefined, position: Position | undefined): boolean {
      if (position && !accept(channel || '', position)) return false
      if (channel === undefined) return true
      const subscription = active.get(channel)
      if (subscription) subscription.handlers_.emit(event === '$presence' ? PRESENCE : event, message)
      return false
    },
    /** `close()`: every subscription ends. */
    clear() {
      for (const subscription of active.values()) subscription.handlers_.removeAllListeners()
      active.clear()
    },
  }
}

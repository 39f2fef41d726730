import type EventEmitterType from 'eventemitter3'
import { nanoid } from 'nanoid/non-secure'
import type { Adapter } from './adapters/types'
import { createConnection } from './connection'
import { OfflineError, ServerError } from './errors'
import { resolveOptions, type SocketOptions } from './options'
import { createPool, type Pending } from './pool'
import { jsonProtocol } from './protocol'
import { createSubscriptions, type Subscription } from './subscriptions'
import type { MpSocket, PushMap, RequestMap, RequestOptions, Untyped } from './types'

// eventemitter3 is CommonJS: `require` bundles it without esbuild's ES-module interop helpers,
// about 170 bytes of the wx entry's budget. Bundling turns this into a plain function call.
declare function require(id: 'eventemitter3'): typeof EventEmitterType
const EventEmitter = require('eventemitter3')
type EventEmitter = EventEmitterType

type Listener = ((...args: unknown[]) => void) & { original?: unknown }

// One executor for every request's promise, which hands its settle functions over here: an executor
// closure per request was about 125 bytes of garbage per request on the hot path.
const captured = {} as Pick<Pending, 'resolve' | 'reject'>
function captureSettlers(resolve: Pending['resolve'], reject: Pending['reject']) {
  captured.resolve = resolve
  captured.reject = reject
}

/**
 * Builds a client over one adapter: the public API, the request pool and the push handlers. The
 * connection's lifecycle (sockets, login, liveness, backoff, final decisions) is `connection.ts`.
 * `createSocket` picks the adapter.
 * @internal
 */
export function createClient<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions,
  adapter: Adapter,
): MpSocket<P, R> {
  const resolved = resolveOptions(options)
  const { protocol, requestTimeout, queueMax, log, login } = resolved
  const pool = createPool()
  // Request ids, 12 characters: 6 random ones (per client) and a counter, 6 digits in base 36 for the
  // first 2 billion requests (7 after that). Never reused by a client (a late reply can never settle a
  // newer request), and cheap: a random id per request cost 12 `Math.random()` numbers and 12
  // strings, most of 490 bytes of garbage per request.
  const idPrefix = nanoid(6)
  /** `100000` in base 36. */
  let idCounter = 60466176
  const pushes = new EventEmitter()
  // Status changes have an emitter of their own, so no server event name can collide with them.
  const statusChanges = new EventEmitter()
  let unwatch: (() => void) | undefined
  const subscriptions = createSubscriptions({
    EventEmitter,
    request: (event, data) => (connection.status === 'online' ? enqueue(event, data, requestTimeout, true, true) : undefined),
    listen,
    unlisten,
    log,
  })
  // Positions are part of the default protocol: the login presents the last one handled, so the
  // server replays the pushes missed in between (`since`; servers without positions ignore it).
  if (login && protocol === jsonProtocol) {
    resolved.login = (context) =>
      Promise.resolve(context)
        .then(login)
        .then((payload) =>
          payload && typeof payload === 'object' ? Object.assign({}, payload, { since: subscriptions.since() }) : payload,
        )
  }

  const connection = createConnection(resolved, adapter, {
    request: (event, data, timeout) => enqueue(event, data, timeout, true, true),
    message(message) {
      if (message.kind === 'push') {
        const { event, channel, position } = message
        if (subscriptions.route(event, message.message, channel, position)) pushes.emit(event, message.message)
        return
      }
      if (message.kind !== 'reply') return
      const request = pool.take(String(message.id))
      if (!request) return log('ignored', message)
      if (message.ok) request.resolve(message.body)
      else request.reject(new ServerError(request.event, message.code, message.body))
    },
    online(reply) {
      const recovery = subscriptions.loggedIn(reply)
      if (recovery) statusChanges.emit('login', recovery)
      for (const request of pool.list()) {
        if (connection.status === 'online' && !request.sent) writeRequest(request)
      }
      settleWaiters()
    },
    dropped(error, stopping) {
      for (const request of pool.list()) {
        if ((stopping || request.sent) && pool.take(request.id)) request.reject(error)
      }
      if (stopping) settleWaiters(error)
    },
    status: (next, previous, error) => statusChanges.emit('change', next, previous, error),
  })

  /** Settles every `ready()` promise: resolved once online, rejected when that will not happen. */
  function settleWaiters(error?: Error) {
    statusChanges.emit('ready', error)
  }

  function assertNotClosed() {
    if (connection.status === 'closed') throw new OfflineError('called after close()')
  }

  function writeRequest(request: Pending) {
    const { frame } = request
    request.sent = true
    // Nothing reads the frame once written: dropped here, it dies young instead of being copied by
    // every GC while the reply is awaited.
    request.frame = undefined
    if (connection.write(frame!) && !request.expectsReply && pool.take(request.id)) request.resolve(undefined)
  }

  /**
   * Makes a request (or with `expectsReply` false a one-way message) and writes it now when online,
   * or with `direct` (login and heartbeat, which skip the queue) on the socket open now.
   */
  function enqueue(event: string, data: unknown, timeout: number, expectsReply: boolean, direct: boolean): Promise<unknown> {
    // Whatever throws here (closed, a bad timeout, the queue full, data JSON cannot hold: a cycle, a
    // BigInt) rejects the returned promise, never the caller.
    try {
      assertNotClosed()
      // Stopped by itself: nothing will send it until connectionLoop() or reconnect().
      if (connection.stopped && !direct) throw connection.stopped
      if (!(timeout > 0)) throw new RangeError('timeout must be > 0')
      const online = direct || connection.status === 'online'
      if (!online && pool.list().filter((request) => !request.sent).length >= queueMax) {
        throw new OfflineError(queueMax ? 'queue full' : 'offline')
      }
      const id = idPrefix + (idCounter++).toString(36)
      const frame = expectsReply ? protocol.encodeRequest(id, event, data) : protocol.encodeSend(event, data)
      const promise = new Promise(captureSettlers)
      const request: Pending = { id, event, frame, expectsReply, timeout, deadline: 0, sent: false, resolve: captured.resolve, reject: captured.reject }
      pool.add(request)
      if (online) writeRequest(request)
      return promise
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Adds a listener that cannot break the client or the listeners after it by throwing. */
  function listen(emitter: EventEmitter, event: string | symbol, listener: (...args: never[]) => void, once?: boolean) {
    const wrapped: Listener = (...args) => {
      try {
        listener(...(args as never[]))
      } catch (error) {
        log(event, error)
      }
    }
    wrapped.original = listener
    if (once) emitter.once(event, wrapped)
    else emitter.on(event, wrapped)
    return () => void emitter.off(event, wrapped)
  }

  /** Removes what `listen` added for `handler`. */
  function unlisten(emitter: EventEmitter, event: string, handler: unknown) {
    for (const wrapped of emitter.listeners(event) as Listener[]) {
      if (wrapped.original === handler) emitter.off(event, wrapped)
    }
  }

  function watch() {
    // A runtime whose app events throw (uni-h5 outside a uni-app: `getApp is not defined`)
    // costs the wake-ups, not the connection.
    try {
      if (!unwatch && adapter.watch) unwatch = adapter.watch(connection.wake)
    } catch (error) {
      log('watch', error)
    }
  }

  return {
    get status() {
      return connection.status
    },
    connectionLoop() {
      assertNotClosed()
      watch()
      connection.start()
    },
    reconnect() {
      assertNotClosed()
      watch()
      connection.reconnect()
    },
    request: (event: string, data?: unknown, requestOptions?: RequestOptions) =>
      enqueue(event, data, requestOptions && requestOptions.timeout !== undefined ? requestOptions.timeout : requestTimeout, true, false) as Promise<never>,
    send(event: string, data?: unknown) {
      const sent = enqueue(event, data, requestTimeout, false, false) as Promise<void>
      // Marks the promise handled: a caller that ignores it never sees an unhandled rejection,
      // one that awaits it still gets the error.
      sent.then(undefined, (error) => log('dropped', event, String(error)))
      return sent
    },
    on: (event, handler) => listen(pushes, event, handler),
    once: (event, handler) => listen(pushes, event, handler, true),
    off: (event, handler) => unlisten(pushes, event, handler),
    uninstall(event) {
      pushes.removeAllListeners(event)
    },
    ready: () =>
      new Promise<void>((resolve, reject) => {
        assertNotClosed()
        // Stopped by itself (gave up, the server's final decision): nothing will connect until
        // connectionLoop() or reconnect(), so waiting would hang.
        const stopped = connection.stopped
        if (stopped) reject(stopped)
        else if (connection.status === 'online') resolve()
        else statusChanges.once('ready', (error?: Error) => (error ? reject(error) : resolve()))
      }),
    onStatus: (listener) => listen(statusChanges, 'change', listener),
    onLoggedIn: (listener) => listen(statusChanges, 'login', listener),
    subscribe(channel) {
      assertNotClosed()
      // The subscription's handlers are typed by the client's push map.
      return subscriptions.subscribe(channel) as Subscription<P>
    },
    close() {
      if (connection.status === 'closed') return
      if (unwatch) unwatch()
      unwatch = undefined
      settleWaiters(new OfflineError('client closed'))
      connection.close()
      subscriptions.clear()
      pushes.removeAllListeners()
      statusChanges.removeAllListeners()
    },
  }
}

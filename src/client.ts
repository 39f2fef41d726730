import EventEmitter from 'eventemitter3'
import type { Adapter } from './adapters/types'
import { createConnection } from './connection'
import { OfflineError } from './errors'
import { watchApp } from './lifecycle'
import { createListeners } from './listeners'
import { loginWithSince } from './login'
import { resolveOptions, type SocketOptions } from './options'
import { createPersistence, storageFor } from './persist'
import type { Position } from './protocol'
import { createRequests } from './requests'
import { createSubscriptions } from './subscriptions'
import type { MpSocket, PushMap, RequestMap, RequestOptions, SendOptions, Subscription, Untyped } from './types'

/**
 * Builds a client over one adapter: the public API over its parts, wired here: the connection's
 * state machine (connection.ts), requests (requests.ts), channels and positions (subscriptions.ts)
 * and push handlers. `createSocket` picks the adapter. docs/architecture.md shows the layers.
 * @internal
 */
export function createClient<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions,
  adapter: Adapter,
): MpSocket<P, R> {
  const resolved = resolveOptions(options)
  const { protocol, requestTimeout, log, login } = resolved
  const { listen, unlisten } = createListeners(log)
  const positions = new Map<string, Position>()
  const persistence = createPersistence(positions, storageFor(options.persist, adapter), log)
  const pushes = new EventEmitter()
  // Status changes have an emitter of their own, so no server event name can collide with them.
  const statusChanges = new EventEmitter()
  let unwatch: (() => void) | undefined
  const subscriptions = createSubscriptions({
    EventEmitter,
    request: (event, data, queued) => (queued || connection.status_ === 'online' ? requests.make(event, data, requestTimeout, true, !queued) : undefined),
    listen,
    unlisten,
    log,
    positions,
    moved: persistence.moved,
  })
  // A protocol that carries positions presents the last one handled at login, so the server
  // replays the pushes missed in between (`since`; servers without positions ignore it).
  if (login && protocol.positions) {
    resolved.login = loginWithSince(login, persistence, subscriptions.since)
  }

  const connection = createConnection(resolved, adapter, {
    request: (event, data, timeout) => requests.make(event, data, timeout, true, true),
    message(message) {
      if (message.kind === 'reply') return requests.settle(message)
      if (message.kind !== 'push') return
      const { event, channel, position } = message
      if (subscriptions.route(event, message.message, channel, position)) pushes.emit(event, message.message)
    },
    online(reply) {
      const recovery = subscriptions.loggedIn(reply)
      if (recovery) statusChanges.emit('login', recovery)
      // A server that runs each request once within a window says so (see requests.ts).
      const { dedupe, dedupeScope } = (reply || {}) as { dedupe?: unknown; dedupeScope?: unknown }
      requests.flush(typeof dedupe === 'number' ? dedupe : 0, dedupeScope)
      statusChanges.emit('ready')
    },
    dropped(error, stopped) {
      requests.fail(error, stopped)
      // `ready()` waiters: closed, they learn that calling again is no use.
      if (stopped) statusChanges.emit('ready', connection.status_ === 'closed' ? new OfflineError('client closed') : stopped)
    },
    status: (next, previous, error) => statusChanges.emit('change', next, previous, error),
  })
  const requests = createRequests(resolved, connection)

  function assertNotClosed() {
    if (connection.status_ === 'closed') throw new OfflineError('called after close()')
  }

  function watch() {
    if (!unwatch) unwatch = watchApp(adapter, connection, persistence, log)
  }

  return {
    get status() {
      return connection.status_
    },
    connectionLoop() {
      assertNotClosed()
      watch()
      connection.start_()
    },
    reconnect() {
      assertNotClosed()
      watch()
      connection.reconnect_()
    },
    request: (event: string, data?: unknown, { timeout = requestTimeout, retry }: RequestOptions = {}) =>
      requests.make(event, data, timeout, true, false, retry !== false) as Promise<never>,
    send(event: string, data?: unknown, { retry }: SendOptions = {}) {
      const sent = requests.make(event, data, requestTimeout, false, false, retry !== false) as Promise<void>
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
        const stopped = connection.stopped_
        if (stopped) reject(stopped)
        else if (connection.status_ === 'online') resolve()
        else statusChanges.once('ready', (error?: Error) => (error ? reject(error) : resolve()))
      }),
    onStatus: (listener) => listen(statusChanges, 'change', listener),
    onLoggedIn: (listener) => listen(statusChanges, 'login', listener),
    subscribe<C extends PushMap = P>(channel: string) {
      assertNotClosed()
      // The subscription's handlers are typed by the channel's map, the client's push map by default.
      return subscriptions.subscribe(channel) as Subscription<C>
    },
    close() {
      if (connection.status_ === 'closed') return
      if (unwatch) unwatch()
      unwatch = undefined
      persistence.flush()
      connection.close_()
      subscriptions.clear()
      pushes.removeAllListeners()
      statusChanges.removeAllListeners()
    },
  }
}

import type EventEmitterType from 'eventemitter3'
import { nanoid } from 'nanoid/non-secure'
import type { Adapter, Connection } from './adapters/types'
import { reconnectDelay } from './backoff'
import { ClosedError, OfflineError, ServerError, TimeoutError } from './errors'
import { createHeartbeat } from './heartbeat'
import { resolveOptions, type SocketOptions } from './options'
import { createPool, type Pending } from './pool'
import type { Frame } from './protocol'
import type { MpSocket, PushMap, RequestMap, RequestOptions, Status, Untyped } from './types'

// eventemitter3 is CommonJS: `require` bundles it without esbuild's ES-module interop helpers,
// about 170 bytes of the wx entry's 4 KB budget. Bundling turns this into a plain function call.
declare function require(id: 'eventemitter3'): typeof EventEmitterType
const EventEmitter = require('eventemitter3')
type EventEmitter = EventEmitterType

type Listener = ((...args: unknown[]) => void) & { original?: unknown }

/** Builds a client over one adapter. `createSocket` picks the adapter. @internal */
export function createClient<P extends PushMap = Untyped, R extends RequestMap = Untyped>(
  options: SocketOptions,
  adapter: Adapter,
): MpSocket<P, R> {
  const { url, login, protocol, requestTimeout, connectTimeout, heartbeat, reconnect, queueMax, log } =
    resolveOptions(options)
  const pool = createPool()
  const pushes = new EventEmitter()
  // Status changes have an emitter of their own, so no server event name can collide with them.
  const statusChanges = new EventEmitter()
  const beats = heartbeat && createHeartbeat(heartbeat.interval, () => beat(heartbeat.timeout))

  let status: Status = 'idle'
  /** Bumped whenever a socket is given up: callbacks of older sockets see a different number. */
  let generation = 0
  let connection: Connection | undefined
  let running = false
  let attempts = 0
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let openTimer: ReturnType<typeof setTimeout> | undefined
  let unwatch: (() => void) | undefined

  function setStatus(next: Status, error?: Error) {
    if (next === status) return
    const previous = status
    status = next
    log(next, error || '')
    statusChanges.emit('change', next, previous, error)
    if (next === 'online') settleWaiters()
  }

  /** Settles every `ready()` promise: resolved once online, rejected when that will not happen. */
  function settleWaiters(error?: Error) {
    statusChanges.emit('ready', error)
  }

  function assertNotClosed() {
    if (status === 'closed') throw new OfflineError('called after close()')
  }

  function guard(what: string, run: () => void) {
    try {
      run()
    } catch (error) {
      log(what, error)
    }
  }

  function connect() {
    if (!running || status !== 'idle') return
    clearTimeout(retryTimer)
    const current = ++generation
    setStatus('connecting')
    Promise.resolve()
      .then(() => Promise.all([url(), login && login()]))
      .then(
        ([address, payload]) => {
          if (current !== generation) return
          if (login && payload == null) {
            log('not logged in')
            return waitForLogin()
          }
          open(current, String(address), payload)
        },
        (error) => {
          if (current === generation) drop(1006, 'connect failed', error)
        },
      )
  }

  function open(current: number, address: string, payload: unknown) {
    // The query string often carries a token (`?token=...`): never log it.
    log('connect', address.split('?')[0])
    let socket: Connection | undefined
    try {
      socket = adapter.connect(address, {
        open() {
          // A socket we gave up on opened after all: close it, or it holds one of the runtime's
          // few socket slots (WeChat allows 5).
          if (current !== generation) return closeQuietly(socket, 1000, '')
          clearTimeout(openTimer)
          setStatus('open')
          if (login) authenticate(current, payload)
          else goOnline()
        },
        message: (data) => current === generation && receive(data),
        close: (code, reason) => current === generation && drop(code || 1006, reason || ''),
        error: (message) => current === generation && drop(1006, message),
      })
    } catch (error) {
      return drop(1006, 'connect failed', error)
    }
    // The runtime failed it before connect() returned: close it, or it may hold a socket slot.
    if (current !== generation) return closeQuietly(socket, 1000, '')
    connection = socket
    openTimer = setTimeout(() => current === generation && drop(4000, 'open timeout'), connectTimeout)
  }

  /** Closes a socket we are done with, with 1000 or our own 4xxx code: the ones every runtime accepts. */
  function closeQuietly(socket: Connection | undefined, code: number, reason: string) {
    if (socket) guard('close', () => socket.close(code < 4000 ? 1000 : code, reason))
  }

  function authenticate(current: number, payload: unknown) {
    // A protocol with a one-way login (no reply) is online once the login is written.
    const loggedIn = protocol.encodeLogin
      ? Promise.resolve(write(protocol.encodeLogin(payload)))
      : enqueue('login', payload, requestTimeout, true, true)
    loggedIn.then(
      () => current === generation && goOnline(),
      (error: Error) => {
        // A ClosedError means the socket is already gone and a retry is scheduled.
        if (current === generation && !(error instanceof ClosedError)) drop(4001, 'login failed', error)
      },
    )
  }

  function goOnline() {
    attempts = 0
    setStatus('online')
    for (const request of pool.list()) {
      if (status === 'online' && !request.sent) writeRequest(request)
    }
    if (beats) beats.start()
  }

  function beat(timeout: number) {
    if (status !== 'online') return
    const current = generation
    enqueue('ping', undefined, timeout, true, true).then(undefined, (error: Error) => {
      if (current !== generation) return
      if (error instanceof TimeoutError) drop(4002, 'ping timeout', error)
      // An error reply means the server no longer knows this socket's user (it restarted, or
      // dropped the binding): a new connection logs in again from a clean state.
      else if (error instanceof ServerError && login) drop(4003, 'login lost', error)
    })
  }

  /** Gives up the current socket (if any), fails what it carried, and schedules the next attempt. */
  function drop(code: number, reason: string, cause?: unknown) {
    teardown(code, reason, cause, 'idle')
    retry()
  }

  /**
   * The one path that stops timers and the socket. Requests written to the socket fail with
   * `ClosedError`; queued ones wait for the next connection, unless the client is closing.
   */
  function teardown(code: number, reason: string, cause: unknown, next: 'idle' | 'closed') {
    generation++
    clearTimeout(openTimer)
    clearTimeout(retryTimer)
    if (beats) beats.stop()
    const socket = connection
    connection = undefined
    closeQuietly(socket, code, reason)
    const error = new ClosedError(code, reason, cause)
    for (const request of pool.list()) {
      if ((next === 'closed' || request.sent) && pool.take(request.id)) request.reject(error)
    }
    setStatus(next, error)
  }

  function retry() {
    if (!running) return
    if (!reconnect || attempts >= reconnect.maxRetries) {
      running = false
      log('gave up')
      return settleWaiters(new OfflineError('reconnect gave up'))
    }
    const delay = reconnectDelay(attempts++, reconnect)
    log('retry', delay)
    retryTimer = setTimeout(connect, delay)
  }

  function waitForLogin() {
    setStatus('idle')
    // Reading the login state is local and cheap; connectionLoop() skips the wait after a login.
    if (reconnect) retryTimer = setTimeout(connect, reconnect.maxDelay)
  }

  /** The network came back or changed, or the app was shown: try now, or check the connection now. */
  function wake() {
    if (status === 'idle') {
      running = true
      connect()
    } else if (status === 'online' && beats) {
      // Timers stop in the background and a network switch kills sockets unseen: probe now,
      // not at the next beat.
      beats.now()
    }
  }

  function receive(data: unknown) {
    let message
    try {
      message = protocol.decode(data as Frame)
    } catch {
      // A throwing decoder is treated like a frame it could not read.
    }
    if (!message) return log('ignored', data)
    if (message.kind === 'reply') {
      const request = pool.take(String(message.id))
      if (!request) return log('ignored', message)
      if (message.ok) request.resolve(message.body)
      else request.reject(new ServerError(request.event, message.code, message.body))
    } else if (message.kind === 'push') {
      pushes.emit(message.event, message.message)
    } else {
      write(protocol.encodePong(message.id))
    }
  }

  /** Writes to the current socket; a failure drops the connection. */
  function write(frame: Frame) {
    try {
      if (connection) connection.send(frame)
    } catch (error) {
      drop(1006, 'send failed', error)
    }
  }

  function writeRequest(request: Pending) {
    request.sent = true
    if (!request.expectsReply && pool.take(request.id)) request.resolve(undefined)
    write(request.frame)
  }

  /**
   * Makes a request (or with `expectsReply` false a one-way message) and writes it now when online,
   * or with `direct` (login and heartbeat, which skip the queue) on the socket open now.
   */
  function enqueue(event: string, data: unknown, timeout: number, expectsReply: boolean, direct: boolean) {
    return new Promise<unknown>((resolve, reject) => {
      assertNotClosed()
      const online = direct || status === 'online'
      if (!online && pool.list().filter((request) => !request.sent).length >= queueMax) {
        throw new OfflineError(queueMax ? 'queue full' : 'offline')
      }
      // 72 random bits: a clash among the requests waiting at one time is out of reach.
      const id = nanoid(12)
      // Data JSON cannot hold (a cycle, a BigInt) rejects here with the encoder's TypeError.
      const frame = expectsReply ? protocol.encodeRequest(id, event, data) : protocol.encodeSend(event, data)
      const request: Pending = { id, event, frame, expectsReply, sent: false, resolve, reject }
      pool.add(request, timeout)
      if (online) writeRequest(request)
    })
  }



  /** Adds a listener that cannot break the client or the listeners after it by throwing. */
  function listen(emitter: EventEmitter, event: string, listener: (...args: never[]) => void, once?: boolean) {
    const wrapped: Listener = (...args) => guard(event, () => listener(...(args as never[])))
    wrapped.original = listener
    if (once) emitter.once(event, wrapped)
    else emitter.on(event, wrapped)
    return () => void emitter.off(event, wrapped)
  }

  return {
    get status() {
      return status
    },
    connectionLoop() {
      assertNotClosed()
      // A runtime whose app events throw (uni-h5 outside a uni-app: `getApp is not defined`)
      // costs the wake-ups, not the connection.
      if (!unwatch && adapter.watch) guard('watch', () => (unwatch = adapter.watch!(wake)))
      running = true
      connect()
    },
    request: (event: string, data?: unknown, requestOptions?: RequestOptions) =>
      enqueue(event, data, (requestOptions && requestOptions.timeout) || requestTimeout, true, false) as Promise<never>,
    send(event: string, data?: unknown) {
      assertNotClosed()
      enqueue(event, data, requestTimeout, false, false).then(undefined, (error) =>
        log('dropped', event, String(error)),
      )
    },
    on: (event, handler) => listen(pushes, event, handler),
    once: (event, handler) => listen(pushes, event, handler, true),
    off(event, handler) {
      for (const wrapped of pushes.listeners(event) as Listener[]) {
        if (wrapped.original === handler) pushes.off(event, wrapped)
      }
    },
    uninstall(event) {
      pushes.removeAllListeners(event)
    },
    ready: () =>
      new Promise<void>((resolve, reject) => {
        assertNotClosed()
        if (status === 'online') resolve()
        else statusChanges.once('ready', (error?: Error) => (error ? reject(error) : resolve()))
      }),
    onStatus: (listener) => listen(statusChanges, 'change', listener),
    close() {
      if (status === 'closed') return
      running = false
      if (unwatch) unwatch()
      unwatch = undefined
      teardown(1000, 'closed by client', undefined, 'closed')
      settleWaiters(new OfflineError('client closed'))
      pushes.removeAllListeners()
      statusChanges.removeAllListeners()
    },
  }
}

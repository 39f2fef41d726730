/** Base class of every error the SDK rejects or throws with. */
export class MpSocketError extends Error {
  declare cause?: unknown

  constructor(message: string, cause?: unknown) {
    super(message)
    // Minifiers rename classes, so the name is spelled out rather than read from the constructor.
    this.name = 'MpSocketError'
    if (cause !== undefined) this.cause = cause
  }
}

/**
 * A request got no reply within its timeout, or a one-way message was still queued (or, to a
 * deduplicating server, not acknowledged) after `requestTimeout`. A connection that
 * does not open within `connectTimeout` is a `ClosedError` 4000 instead, and is retried.
 */
export class TimeoutError extends MpSocketError {
  constructor(
    /** The request's event. */
    readonly event: string,
    /** The limit that ran out, in milliseconds. */
    readonly timeout: number,
  ) {
    super(`${event} timed out after ${timeout} ms`)
    this.name = 'TimeoutError'
  }
}

/** The connection closed, or was dropped, while the request was waiting for its reply. */
export class ClosedError extends MpSocketError {
  constructor(
    /** The WebSocket close code (1006 when the runtime gave none). */
    readonly code: number,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`closed ${code} ${reason}`, cause)
    this.name = 'ClosedError'
  }
}

/** The server answered with an error: `code` is its `error` number, `body` what it sent with it. */
export class ServerError extends MpSocketError {
  /**
   * The reply's error code: a number with the default protocol (`data.error`), or a string code
   * from a custom protocol. Anything else a server sends there arrives as its `String(...)`.
   */
  readonly code: number | string

  constructor(
    readonly event: string,
    code: unknown,
    readonly body: unknown,
  ) {
    super(`${event} failed: ${code}`)
    this.name = 'ServerError'
    this.code = typeof code === 'number' ? code : String(code)
  }
}

/** The client cannot take the call: it is closed, or offline with the queue full or turned off. */
export class OfflineError extends MpSocketError {
  constructor(message: string) {
    super(message)
    this.name = 'OfflineError'
  }
}

/**
 * The server ended the connection for good (a final close: kicked, token refused, protocol version):
 * the client stops reconnecting, rejects `ready()` and queued requests with it, and waits for
 * `connectionLoop()` or `reconnect()`. `code` is the close code the server chose.
 */
export class FinalError extends MpSocketError {
  constructor(
    readonly code: number,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`stopped by the server: ${code} ${reason}`, cause)
    this.name = 'FinalError'
  }
}

/** The backend closed this connection on purpose (close code 4409: logged in elsewhere, banned...). */
export class KickedError extends FinalError {
  constructor(...args: ConstructorParameters<typeof FinalError>) {
    super(...args)
    this.name = 'KickedError'
  }
}

/**
 * The server refused the login for good (close code 4403), or refused `authAttempts` logins in a
 * row (`cause` is the last refusal, a `ServerError`).
 */
export class AuthError extends FinalError {
  constructor(...args: ConstructorParameters<typeof FinalError>) {
    super(...args)
    this.name = 'AuthError'
  }
}

/**
 * Close codes the server uses (4xxx mirror HTTP statuses). Clients see them in `ClosedError.code`;
 * runtimes that lose close codes (uni-h5, Taro-H5) still get the `{"type":"close"}` frame sent
 * just before (see docs/server.md).
 */
export const CloseCode = {
  /**
   * `SIGTERM` or `close()`: the node drains (1012, service restart); the client reconnects, to
   * another node behind a load balancer, and recovers what it missed.
   */
  shutdown: 1012,
  /** A frame larger than `maxPayload` (sent by `ws` itself). */
  tooBig: 1009,
  /** A frame that is not a JSON object (binary, invalid JSON, an array...). */
  badFrame: 4400,
  /** No successful login within `loginTimeout` (not final: the client retries). */
  loginTimeout: 4401,
  /** The token in the URL was refused for good (final). */
  authRefused: 4403,
  /** Closed by the backend (`disconnect()`, `POST /disconnect`), e.g. logged in elsewhere (final). */
  kicked: 4409,
  /** The token in the URL has expired: fetch a fresh one and reconnect at once (not final). */
  tokenExpired: 4419,
  /** The client speaks a protocol version this server does not (final). */
  protocolVersion: 4426,
  /** More messages than `rateLimit` allows. */
  rateLimited: 4429,
  /** More than `maxBuffered` bytes waiting to be sent: a slow consumer (not final: reconnect and recover). */
  slowConsumer: 4503,
} as const

/** Error codes of replies (`data.error`); 0 is success. */
export const ReplyCode = {
  ok: 0,
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  tokenExpired: 419,
  internal: 500,
} as const

/** Throw it from a handler to answer with a chosen error code and body. */
export class ReplyError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : `reply error ${code}`)
    this.name = 'ReplyError'
  }
}

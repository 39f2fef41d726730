/**
 * Close codes the server uses (4xxx mirror HTTP statuses). Clients see them in `ClosedError.code`.
 */
export const CloseCode = {
  /** `SIGTERM` or `close()`: the server is going away. */
  shutdown: 1001,
  /** A frame larger than `maxPayload` (sent by `ws` itself). */
  tooBig: 1009,
  /** A frame that is not a JSON object (binary, invalid JSON, an array...). */
  badFrame: 4400,
  /** No successful login within `loginTimeout`. */
  loginTimeout: 4401,
  /** Closed by the backend (`disconnect()`). */
  kicked: 4409,
  /** More messages than `rateLimit` allows. */
  rateLimited: 4429,
} as const

/** Error codes of replies (`data.error`); 0 is success. */
export const ReplyCode = {
  ok: 0,
  badRequest: 400,
  unauthorized: 401,
  notFound: 404,
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

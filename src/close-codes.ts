/**
 * Close codes by name. A `const enum`: every use compiles to its number, so the names cost nothing
 * in the bundle. 4000-4099 are the client's own drops, never read as a server's decision; 44xx are
 * the server's (the reference server's `CloseCode` uses the same numbers).
 * @internal
 */
export const enum CloseCode {
  Normal = 1000,
  /** The runtime reported no code, or the socket failed. */
  Abnormal = 1006,
  ConnectTimeout = 4000,
  LoginFailed = 4001,
  /** No sign of life: the ping timed out, or the socket stayed silent past every limit. */
  Silent = 4002,
  /** The ping's error reply: the server no longer knows this socket's login. */
  LoginLost = 4003,
  /** `reconnect()`. */
  Reconnect = 4004,
  /** The login reply said the token expired. */
  TokenExpired = 4019,
  /** The server refused the login for good. */
  Refused = 4403,
  /** The backend kicked the user (logged in elsewhere, banned...). */
  Kicked = 4409,
  /** The server closed because the token expired. */
  ServerTokenExpired = 4419,
}

/**
 * Who ended a socket, which decides what comes next (see `retry.ts`).
 * @internal
 */
export const enum By {
  /** The client gave it up (timeout, failed login, send failure): retry after the backoff. */
  Client,
  /** The server chose the code (its close frame, or the code a runtime reported): it may be final. */
  Server,
  /** Replaced on purpose (`reconnect()`, a dead socket found on wake-up): connect again at once. */
  Replacement,
}

import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a token check found: a valid token, one past its expiry, or one that is simply wrong. */
export type TokenCheck = 'ok' | 'expired' | 'invalid'

export interface SignOptions {
  /** Seconds the token stays valid from now; without it the token never expires. */
  expiresIn?: number
}

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex')

/**
 * The default login token of a user: HMAC-SHA256 of `u` (e.g. `user:6`) under the server secret,
 * hex. With `expiresIn` it is `<expiry>.<hmac of u and expiry>` (expiry in Unix seconds), so the
 * HMAC covers the expiry and nobody can extend it. Your backend mints it when the user signs in
 * and hands it to the mini-program.
 */
export function signToken(secret: string, u: string, options: SignOptions = {}): string {
  if (options.expiresIn === undefined) return hmac(secret, u)
  const expiry = Math.floor(Date.now() / 1000 + options.expiresIn)
  return `${expiry}.${hmac(secret, `${u}\n${expiry}`)}`
}

/** Checks a token against `signToken(secret, u)` in constant time; tokens without expiry keep working. */
export function verifyToken(secret: string, u: string, token: string, now = Date.now()): TokenCheck {
  const dot = token.indexOf('.')
  const expiry = dot === -1 ? undefined : token.slice(0, dot)
  if (expiry !== undefined && !/^\d{1,12}$/.test(expiry)) return 'invalid'
  const expected = Buffer.from(expiry === undefined ? hmac(secret, u) : hmac(secret, `${u}\n${expiry}`))
  const given = Buffer.from(expiry === undefined ? token : token.slice(dot + 1))
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
  return expiry !== undefined && Number(expiry) * 1000 <= now ? 'expired' : 'ok'
}

/** Whether two secrets are equal, in time that depends on neither (both are hashed to one length first). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'mp-socket compare').update(text).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The default login token of a user: HMAC-SHA256 of `u` (e.g. `user:6`) under the server secret,
 * hex. Your backend mints it when the user signs in and hands it to the mini-program.
 */
export function signToken(secret: string, u: string): string {
  return createHmac('sha256', secret).update(u).digest('hex')
}

/** Checks a token against `signToken(secret, u)` in constant time. */
export function verifyToken(secret: string, u: string, token: string): boolean {
  const expected = Buffer.from(signToken(secret, u))
  const given = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

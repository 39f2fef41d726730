import type { ResolvedOptions } from './options'
import { verifyToken, type TokenCheck } from './token'

export type Authenticate = (u: string, token: string) => Promise<TokenCheck>

/** The login check of the server: `verifyLogin` if given, else the HMAC token; a throwing check refuses. */
export function createAuthenticator(options: ResolvedOptions): Authenticate {
  const verify = options.verifyLogin || ((u: string, token: string) => verifyToken(options.secret, u, token))
  return async (u, token) => {
    let result: boolean | TokenCheck
    try {
      result = await verify(u, token)
    } catch (error) {
      options.log('verifyLogin threw:', error)
      return 'invalid'
    }
    if (result === true || result === 'ok') return 'ok'
    return result === 'expired' ? 'expired' : 'invalid'
  }
}

/** The `u` and `token` of an upgrade URL such as `/ws?u=user:6&token=…` (seed 004's style), if both are there. */
export function credentialsInUrl(url: string | undefined): { u: string; token: string } | undefined {
  const query = (url || '').split('?')[1]
  if (!query) return undefined
  const params = new URLSearchParams(query)
  const u = params.get('u')
  const token = params.get('token')
  return u && token ? { u, token } : undefined
}

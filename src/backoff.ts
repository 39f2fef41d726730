/** @internal */
export interface BackoffOptions {
  minDelay: number
  maxDelay: number
  factor: number
  jitter: number
}

/**
 * Delay before reconnect attempt number `attempt` (0 = the first retry): exponential, capped,
 * then shortened by up to `jitter` of itself at random so that many clients dropped at the same
 * moment do not all come back in the same millisecond.
 * @internal
 */
export function reconnectDelay(attempt: number, options: BackoffOptions, random = Math.random): number {
  const { minDelay, maxDelay, factor, jitter } = options
  const ceiling = Math.min(maxDelay, minDelay * Math.pow(factor, attempt))
  return Math.round(ceiling * (1 - jitter * random()))
}

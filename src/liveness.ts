import type { HeartbeatOptions } from './options'

/** `liveness` says: check the connection now. @internal */
export const PING = 0
/** `liveness` says: the connection is dead. @internal */
export const DEAD = -1

/**
 * What to do about a connection that has been silent (no frame received) for `silence` ms:
 * a positive number of ms to wait before looking again, {@link PING} to check it now, or
 * {@link DEAD}. `waking`: the app came back or the network changed, when a quiet socket is worth
 * checking at once and one silent past `interval + timeout` is surely dead (timers stop in the
 * background, and a network switch kills sockets unseen).
 * @internal
 */
export function liveness(silence: number, heartbeat: Required<Pick<HeartbeatOptions, 'interval' | 'timeout'>>, waking?: boolean): number {
  const { interval, timeout } = heartbeat
  if (waking) return silence < interval + timeout ? PING : DEAD
  return silence < interval ? interval - silence : PING
}

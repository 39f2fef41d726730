import type { Adapter } from './adapters/types'

/**
 * How long a hidden mini-program keeps its network: WeChat suspends it 5 s after the app goes to
 * the background (calls fail with "network api interrupted in suspend state", sockets close,
 * timers stop) and Douyin does the same. Past it, attempting only fails, and would count.
 * @internal
 */
export const SUSPEND_AFTER = 5000

/**
 * The network is suspended: the app was hidden (`hiddenAt`, 0 while shown) longer than the
 * runtime keeps it.
 * @internal
 */
export const isSuspended = (hiddenAt: number) => hiddenAt > 0 && Date.now() - hiddenAt >= SUSPEND_AFTER

/**
 * Listens to the app's life through the adapter: `wake_` when the app is shown or the network is
 * back, `visible_` when it is hidden or shown; what was handled is written to storage as the app
 * goes to the background, where it may be killed. A runtime whose app events throw (uni-h5 outside
 * a uni-app: `getApp is not defined`) costs the wake-ups, not the client. Returns the remover.
 * @internal
 */
export function watchApp(
  adapter: Adapter,
  connection: { wake_(): void; visible_(shown: boolean): void },
  persistence: { flush(): void },
  log: (...args: unknown[]) => void,
): (() => void) | undefined {
  try {
    return (
      adapter.watch &&
      adapter.watch(connection.wake_, (shown) => {
        if (!shown) persistence.flush()
        connection.visible_(shown)
      })
    )
  } catch (error) {
    log('watch', error)
  }
}

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

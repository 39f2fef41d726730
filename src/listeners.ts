import type EventEmitter from 'eventemitter3'

/** A handler as registered: the wrapper, with the app's own function (`_`: internal, shortened in builds). */
type Listener = ((...args: unknown[]) => void) & { original_?: unknown }

/**
 * Handler registration for every emitter of a client (pushes, statuses, subscriptions): a handler
 * that throws is logged and cannot break the client or the handlers after it.
 * @internal
 */
export function createListeners(log: (...args: unknown[]) => void) {
  return {
    /** Adds `listener`; returns the function that removes it (harmless to call twice). */
    listen(emitter: EventEmitter, event: string | symbol, listener: (...args: never[]) => void, once?: boolean) {
      const wrapped: Listener = (...args) => {
        try {
          listener(...(args as never[]))
        } catch (error) {
          log(event, error)
        }
      }
      wrapped.original_ = listener
      if (once) emitter.once(event, wrapped)
      else emitter.on(event, wrapped)
      return () => void emitter.off(event, wrapped)
    },
    /** Removes what `listen` added for `handler`. */
    unlisten(emitter: EventEmitter, event: string, handler: unknown) {
      for (const wrapped of emitter.listeners(event) as Listener[]) {
        if (wrapped.original_ === handler) emitter.off(event, wrapped)
      }
    },
  }
}

/** @internal */
export type Listeners = ReturnType<typeof createListeners>

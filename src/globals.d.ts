// The only globals the SDK relies on: every mini-program runtime, browser and Node has these.
// Declaring them here, instead of loading the DOM or Node typings, makes any other global
// (window, process, crypto, Buffer, TextDecoder...) a compile error outside the adapters' own
// `declare const` lines.
declare function setTimeout(callback: () => void, ms: number): unknown
declare function clearTimeout(handle: unknown): void
declare const console: { log(...args: unknown[]): void }
/**
 * `true` in the tests (vitest.config.mts), `false` in every published build (tsup.config.ts):
 * development-only checks, such as the state machine's transition table, cost nothing in `dist`.
 */
declare const __DEV__: boolean

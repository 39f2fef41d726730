import { MpSocketError } from '../errors'
import { alipay } from './alipay'
import { miniProgram, type MiniProgramApi } from './miniprogram'
import type { Adapter } from './types'
import { uniAdapter } from './uni'
import { web, type WebSocketConstructor } from './web'

/** Runtimes that `runtime: '...'` can name. */
export type RuntimeName = 'auto' | 'uni' | 'wx' | 'my' | 'tt' | 'qq' | 'swan' | 'web'

declare const uni: unknown
declare const wx: MiniProgramApi | undefined
declare const my: MiniProgramApi | undefined
declare const tt: MiniProgramApi | undefined
declare const qq: MiniProgramApi | undefined
declare const swan: MiniProgramApi | undefined
declare const WebSocket: WebSocketConstructor | undefined

// Each global is read with a literal `typeof name`, the only way to test a global that may be
// missing without a ReferenceError and without `globalThis`, which mini-programs lack.
const detectors: Record<Exclude<RuntimeName, 'auto'>, () => Adapter | undefined> = {
  uni: () => (typeof uni !== 'undefined' && uni ? uniAdapter() : undefined),
  wx: () => (typeof wx !== 'undefined' && wx ? miniProgram(wx) : undefined),
  my: () => (typeof my !== 'undefined' && my ? alipay(my) : undefined),
  tt: () => (typeof tt !== 'undefined' && tt ? miniProgram(tt) : undefined),
  qq: () => (typeof qq !== 'undefined' && qq ? miniProgram(qq) : undefined),
  swan: () => (typeof swan !== 'undefined' && swan ? miniProgram(swan) : undefined),
  web: () => (typeof WebSocket !== 'undefined' && WebSocket ? web(WebSocket) : undefined),
}

/**
 * The adapter for `runtime`: an adapter object as given, a named runtime, or with `'auto'` the
 * first present of uni, wx, my, tt, qq, swan and the global WebSocket (uni first: a uni-app
 * build for WeChat has both `uni` and `wx`).
 * @internal
 */
export function resolveRuntime(runtime: RuntimeName | Adapter = 'auto'): Adapter {
  if (typeof runtime === 'object') return runtime
  const names = runtime === 'auto' ? (Object.keys(detectors) as Array<keyof typeof detectors>) : [runtime]
  for (const name of names) {
    const adapter = detectors[name] && detectors[name]()
    if (adapter) return adapter
  }
  throw new MpSocketError(
    runtime === 'auto'
      ? 'no socket runtime found: pass runtime: web(WebSocket) in Node, or taro(Taro) in Taro'
      : `runtime "${runtime}" is not available here`,
  )
}

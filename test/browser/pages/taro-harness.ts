// The Taro H5 page: the SDK with Taro's own H5 implementation of connectSocket and of the app
// events, from @tarojs/taro-h5 (what a Taro 4 app's `@tarojs/taro` resolves to on H5).
//
// Named imports, not the default export: Taro 4's H5 default export has no connectSocket (its
// babel plugin rewrites `Taro.connectSocket(...)` into these imports at build time), so a Taro H5
// app passes the functions it uses, as below; the test checks the default export lacks them.
import TaroDefault, { connectSocket, offAppShow, offNetworkStatusChange, onAppShow, onNetworkStatusChange } from '@tarojs/taro-h5'
import type { TaroApi } from '../../../src/index'
import { exposeSdk } from './harness'

declare global {
  interface Window {
    taroApi: TaroApi
    taroDefault: Record<string, unknown>
  }
}

exposeSdk()
// Taro declares connectSocket as resolving to `unknown`; at run time it is the SocketTask taro() reads.
window.taroApi = { connectSocket, onAppShow, offAppShow, onNetworkStatusChange, offNetworkStatusChange } as unknown as TaroApi
window.taroDefault = TaroDefault as unknown as Record<string, unknown>

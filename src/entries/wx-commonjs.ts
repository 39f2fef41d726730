// miniprogram_dist/wx.js: `mp-socket/wx` as the plain CommonJS module WeChat's "build npm" ships.
// esbuild would turn the ES-module entry into getters on `exports` plus its interop helpers, about
// 180 bytes min+gzip of the smallest package; a plain object is all `require('mp-socket/wx')` needs.
// The list is the value exports of `./wx`: test/dist compares the two.
import { AuthError, ClosedError, FinalError, KickedError, MpSocketError, OfflineError, ServerError, TimeoutError, createSocket, jsonProtocol } from './wx'

declare const module: { exports: unknown }

module.exports = { MpSocketError, TimeoutError, ClosedError, ServerError, OfflineError, FinalError, KickedError, AuthError, jsonProtocol, createSocket }

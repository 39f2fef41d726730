// Every public type, and only types: each entry re-exports this module with `export *`. An
// `export type * from '../index'` would do at run time, but the declaration bundler turns it into
// value exports of the adapters and helpers an entry does not have, so code compiled against
// `mp-socket/wx` could import `web` and then fail in Node with "does not provide an export named".
export type { Frame, Incoming, OutgoingFrame, Position, Protocol } from '../protocol'
export type { HistoryOptions, Presence, PresenceChange, Publication, Recovery, Subscription } from '../types'
export type { WebSocketConstructor, WebSocketLike } from '../adapters/web'
export type { TaroApi } from '../adapters/taro'
export type { MiniProgramApi } from '../adapters/miniprogram'
export type { SocketTaskLike } from '../adapters/task'
export type { RuntimeName } from '../adapters/auto'
export type { Adapter, ConnectOptions, Connection, ConnectionHandlers, PositionStorage } from '../adapters/types'
export type {
  BodyOf,
  DataOf,
  LoginOf,
  MpSocket,
  PushMap,
  PushOf,
  RequestArgs,
  RequestMap,
  RequestOptions,
  SendArgs,
  SendOptions,
  Status,
  StatusListener,
  Untyped,
} from '../types'
export type { ConnectContext, HeartbeatOptions, Logger, QueueOptions, ReconnectOptions, SocketOptions } from '../options'

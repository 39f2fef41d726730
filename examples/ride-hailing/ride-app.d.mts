import type { MpSocket, SocketOptions } from 'mp-socket'

export interface RideMessage {
  flag: string
  token: string
  target_token: string
  [field: string]: unknown
}

export interface RideApp {
  readonly socket: MpSocket
  readonly token: string
  start(): void
  order(driver: string, trip: Record<string, unknown>): Promise<RideMessage>
  accept(order: RideMessage, details?: Record<string, unknown>): Promise<void>
  decline(order: RideMessage, reason: string): Promise<void>
  position(target: string, lat: number | string, lng: number | string): Promise<void>
  travel(driver: string, trip: Record<string, unknown>): Promise<void>
  pickup(passenger: string, route: Record<string, unknown>): Promise<void>
  cancel(driver: string, reason: string): Promise<void>
  logout(): Promise<void>
  close(): void
}

export declare function createRideApp(options: {
  url: string
  token: string
  runtime?: SocketOptions['runtime']
  reconnect?: SocketOptions['reconnect']
}): RideApp

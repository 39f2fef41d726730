// What the passenger's and the driver's mini-programs do with their socket, in one place: the
// pages call these functions. Runs as is in a mini-program (`runtime` left out: wx, uni, my, tt
// are found), in a browser, and in Node (`runtime: web(WebSocket)` from `ws`).
import { createSocket } from 'mp-socket'
import { flagProtocol } from './flag-protocol.mjs'

/**
 * @param {{ url: string, token: string, runtime?: import('mp-socket').SocketOptions['runtime'],
 *   reconnect?: import('mp-socket').SocketOptions['reconnect'] }} options
 */
export function createRideApp({ url, token, runtime, reconnect }) {
  /** The logged-in user's token; `null` after logout, so that nothing logs in again. */
  let session = token
  const socket = createSocket({
    url,
    runtime,
    reconnect,
    protocol: flagProtocol,
    // Called before every connect, sent as {"flag":"login","token":…} right after the socket opens.
    login: () => (session ? { token: session } : null),
    // The ride-hailing server sends nothing unless a message is relayed: no ping to answer, and silence
    // is normal, so liveness comes from the runtime's close events and the app's own messages.
    heartbeat: false,
  })

  /** The fields the server requires on every message. */
  const to = (target) => ({ token: session, target_token: target })

  return {
    socket,
    token,
    /** Connects and stays connected (call it again after the user logs in). */
    start: () => socket.connectionLoop(),
    /**
     * Passenger: asks a driver to take a trip. Resolves with the driver's `accept` message;
     * rejects with ServerError 404 (driver offline), ServerError from the driver's `decline`,
     * TimeoutError (no answer in 10 s), OfflineError/ClosedError.
     */
    order: (driver, trip) => socket.request('order', { ...to(driver), ...trip }),
    /** Driver: accepts an `order` message; the passenger's `order()` resolves with this. */
    accept: (order, details) => socket.send('accept', { ...to(order.token), ...details, reply_to: order.msg_id }),
    /** Driver: declines an order; the passenger's `order()` rejects with ServerError(code 409). */
    decline: (order, reason) =>
      socket.send('error', { ...to(order.token), reply_to: order.msg_id, code: 409, msg: reason }),
    /** Either side: the `latlng` position update to the other party. */
    position: (target, lat, lng) => socket.send('latlng', { ...to(target), lat: String(lat), lng: String(lng) }),
    /** Passenger to driver after acceptance: the `travel` message (route, phone, note). */
    travel: (driver, trip) => socket.send('travel', { ...to(driver), ...trip }),
    /** Driver to passenger: the `pickup` message. */
    pickup: (passenger, route) => socket.send('pickup', { ...to(passenger), ...route }),
    /** Passenger: cancels the ride. */
    cancel: (driver, reason) => socket.send('cancel', { ...to(driver), msg: reason }),
    /**
     * Logs out: {"flag":"close","token":…}. The server answers with its own close flag, which the
     * protocol reads as a final decision: the socket stops (KickedError 'logged out') instead of
     * reconnecting, and `login()` returns nothing any more.
     */
    async logout() {
      const leaving = session
      session = null
      await socket.send('close', { token: leaving })
    },
    close: () => socket.close(),
  }
}

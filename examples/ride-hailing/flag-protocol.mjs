// The ride-hailing app's wire format as an mp-socket Protocol: every message is a JSON object named by its
// `flag`; login is the one-way `{"flag":"login","token":…}`; `{"flag":"close"}` from the server is
// its final word (logged out, logged in elsewhere, token refused).
//
// The format has no replies. Requests add one field, `msg_id` (the request's id), and
// whoever answers (the other app, or the server for a refusal) echoes it as `reply_to`:
//   request   {"flag":"order","target_token":"d1","token":"p1",…,"msg_id":"V1StGXR8_Z5j"}
//   reply     {"flag":"accept","target_token":"p1","token":"d1",…,"reply_to":"V1StGXR8_Z5j"}
//   refusal   {"flag":"error","reply_to":"V1StGXR8_Z5j","code":404,"msg":"target offline"}
// A message with `reply_to` settles the request with that id (an `error` flag rejects it with
// ServerError(code)); it is not a push. Servers and apps that ignore `msg_id` still work: the
// request then ends in TimeoutError, so use send() with them.
import { parseJsonObject } from 'mp-socket'

/** The close code a `{"flag":"close"}` without a `code` stands for: 4409, final (KickedError). */
export const FLAG_CLOSE_CODE = 4409

/** @type {import('mp-socket').Protocol} */
export const flagProtocol = {
  decode(frame) {
    const message = parseJsonObject(frame)
    if (!message || typeof message.flag !== 'string') return undefined
    const { flag, reply_to: replyTo } = message
    if (typeof replyTo === 'string' || typeof replyTo === 'number') {
      return flag === 'error'
        ? { kind: 'reply', id: replyTo, ok: false, body: message, code: message.code }
        : { kind: 'reply', id: replyTo, ok: true, body: message }
    }
    if (flag === 'close') {
      const code = typeof message.code === 'number' ? message.code : FLAG_CLOSE_CODE
      return { kind: 'close', code, reason: String(message.reason || 'closed by the server') }
    }
    return { kind: 'push', event: flag, message }
  },
  encodeRequest: (id, flag, data) => JSON.stringify({ ...Object(data), flag, msg_id: id }),
  encodeSend: (flag, data) => JSON.stringify({ ...Object(data), flag }),
  // The ride-hailing server never pings; were it to, this is the answer.
  encodePong: () => '{"flag":"pong"}',
  // Within 2 s of connecting, never answered: the client is online once it is written.
  encodeLogin: (payload) => JSON.stringify({ ...Object(payload), flag: 'login' }),
}

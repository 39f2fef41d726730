// The customer-service example as its browser suites drive it: its README command, and what its
// agent page (examples/customer-service/agent) exposes to them.
import { join } from 'node:path'
import { ROOT } from './browser'
import { startCommand } from './processes'

/**
 * The example's README command without its build (`SKIP_BUILD`: the suite built it, or does not
 * need the customer app); resolves with the addresses it prints. Stopped through `cleanups`.
 */
export function startCustomerService(cleanups: Array<() => unknown>) {
  return startCommand({
    command: process.execPath,
    args: [join(ROOT, 'examples/customer-service/run.mjs')],
    env: { SKIP_BUILD: '1', PORT: '0', MINUTES: '3', QUIET: '1' },
    cleanups,
    started(output) {
      const agent = output.match(/agent page (http:\/\/127\.0\.0\.1:(\d+))\/agent/)
      const customer = output.match(/customer app \(uni-app H5\): (\S+)/)
      return agent && customer ? { http: agent[1], port: Number(agent[2]), customerUrl: customer[1] } : undefined
    },
  })
}

declare global {
  interface Window {
    service: {
      received: Array<{ customer: string; text: string }>
      subscribed: boolean[]
      reloads: number
      /** Customers online (channel presence). */
      online: Set<string>
      /** The inbox's last messages, loaded with history(). */
      latest(): Array<{ customer: string; text: string }>
    }
  }
}

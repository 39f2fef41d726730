// What the customer-service example's agent page (examples/customer-service/agent) exposes to the
// browser suites that drive it.
export {}

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

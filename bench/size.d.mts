// Types of size.mjs for test/docs/sizes.test.ts, which measures what README.md quotes the bench's way.
export interface SizeRow {
  name: string
  /** A file measured as it ships instead of a bundle. */
  file?: string
  ours?: boolean
  target?: string
  min?: number
  gzip?: number
  brotli?: number
  /** Why the bundle could not be built. */
  error?: string
}
export const ENTRIES: Array<{ name: string; code?: string; file?: string; ours?: boolean }>
export function sizes(names?: string[]): Promise<{ rows: SizeRow[]; markdown: string }>
export const QUOTED_SIZE: RegExp
export function kilobytes(bytes: number): string
export function quoteSizes(text: string, rows: SizeRow[]): string

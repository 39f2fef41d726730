import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const ROOT = join(__dirname, '../..')

function markdownUnder(dir: string, onlyReadmes: boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : markdownUnder(path, onlyReadmes)
    return entry.name.endsWith('.md') && (!onlyReadmes || entry.name === 'README.md') ? [relative(ROOT, join(ROOT, path))] : []
  })
}

/**
 * The docs a user reads: README.md, everything in docs/, each example's README. Not CHANGELOG.md,
 * which keeps the words of its time.
 */
export function userDocs(): string[] {
  return ['README.md', ...markdownUnder('docs', false), ...markdownUnder('examples', true)]
}

export const readDoc = (doc: string) => readFileSync(join(ROOT, doc), 'utf8')

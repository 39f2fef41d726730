import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const ROOT = join(__dirname, '../..')

function filesUnder(dir: string, wanted: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : filesUnder(path, wanted)
    return wanted(entry.name) ? [relative(ROOT, join(ROOT, path))] : []
  })
}

/**
 * The docs a user reads: README.md, everything in docs/ (the guides' recipes too), each example's
 * README. Not CHANGELOG.md, which keeps the words of its time.
 */
export function userDocs(): string[] {
  return ['README.md', ...filesUnder('docs', () => true), ...filesUnder('examples', (name) => name === 'README.md')]
}

export const readDoc = (doc: string) => readFileSync(join(ROOT, doc), 'utf8')

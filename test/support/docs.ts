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

/**
 * What a doc block showing all of `file` holds: the file, or the <script> of a single-file
 * component (`.vue`); `undefined` for a `.vue` file without one.
 */
export function wholeFileCode(file: string): string | undefined {
  const source = readFileSync(join(ROOT, file), 'utf8')
  return file.endsWith('.vue') ? source.match(/<script>\n([\s\S]*?)<\/script>/)?.[1] : source
}

// The package as npm publishes it: `npm pack` of the built tree (`npm test` builds first; scripts
// are skipped so that packing does not rebuild dist/ under the feet of tests running beside it).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(__dirname, '../..')

export interface Packed {
  /** The .tgz file. */
  tarball: string
  /** The tarball extracted as npm installs it: `<project>/node_modules/<name>`. */
  dir: string
  /** A scratch project folder whose node_modules holds the package. */
  project: string
  /** Every path in the tarball, relative to the package root, sorted. */
  files: string[]
  /** Removes the temporary folder. */
  remove(): void
}

/** Packs the package in `folder` (the SDK by default; `examples/server` for `mp-socket-server`). */
export function pack(folder = ROOT): Packed {
  const tmp = mkdtempSync(join(tmpdir(), 'mp-socket-pack-'))
  const output = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
    cwd: folder,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const [report] = JSON.parse(output) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>
  const tarball = join(tmp, report.filename)
  const dir = join(tmp, 'node_modules', report.name)
  mkdirSync(dir, { recursive: true })
  execFileSync('tar', ['xzf', tarball, '-C', dir, '--strip-components=1'])
  return {
    tarball,
    dir,
    project: tmp,
    files: report.files.map((file) => file.path).sort(),
    remove: () => rmSync(tmp, { recursive: true, force: true }),
  }
}

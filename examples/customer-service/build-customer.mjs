// Builds the customer's uni-app (customer/) for H5 with uni-app's own toolchain, the one installed
// for examples/uni-app (`npm ci --prefix examples/uni-app`), so this example needs no install of
// its own: the sources are copied next to a link to that node_modules and built there. In your
// project, `npm install` in customer/ and `npx uni build` (or HBuilderX) do the same.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const toolchain = join(here, '../uni-app/node_modules')

/** Builds into customer/dist/build/h5 and returns that folder. */
export function buildCustomer() {
  if (!existsSync(join(toolchain, '.bin/uni'))) {
    throw new Error('uni-app toolchain missing: run `npm ci --prefix examples/uni-app` first')
  }
  const project = join(here, 'customer/.build')
  rmSync(project, { recursive: true, force: true })
  mkdirSync(project, { recursive: true })
  for (const file of ['src', 'index.html', 'vite.config.js', 'package.json']) cpSync(join(here, 'customer', file), join(project, file), { recursive: true })
  symlinkSync(toolchain, join(project, 'node_modules'), 'dir')
  const result = spawnSync(join(toolchain, '.bin/uni'), ['build'], { cwd: project, encoding: 'utf8', env: { ...process.env, UNI_PLATFORM: 'h5' } })
  if (result.status !== 0) throw new Error(`uni build failed:\n${result.stdout}\n${result.stderr}`)
  const output = join(here, 'customer/dist/build/h5')
  rmSync(join(here, 'customer/dist'), { recursive: true, force: true })
  cpSync(join(project, 'dist'), join(here, 'customer/dist'), { recursive: true })
  rmSync(project, { recursive: true, force: true })
  return output
}

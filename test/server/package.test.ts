import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '../..')
const SERVER = join(ROOT, 'examples/server')
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

describe('examples/server as its own package', () => {
  const pkg = read(join(SERVER, 'package.json'))
  const root = read(join(ROOT, 'package.json'))

  it('declares its run-time dependencies (the same ranges the repository tests with) and a bin', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['cluster-key-slot', 'redis', 'ws'])
    for (const name of ['cluster-key-slot', 'redis', 'ws']) expect(pkg.dependencies[name]).toBe(root.devDependencies[name])
    expect(pkg.bin).toEqual({ 'mp-socket-server': 'dist/main.mjs' })
    expect(existsSync(join(SERVER, 'README.md'))).toBe(true)
  })

  it('builds to files that need nothing but Node, ws, redis and cluster-key-slot (npm run build first)', () => {
    const dist = join(SERVER, 'dist')
    expect(readFileSync(join(dist, 'main.mjs'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const imported = new Set<string>()
    for (const file of readdirSync(dist).filter((name) => name.endsWith('.mjs'))) {
      for (const match of readFileSync(join(dist, file), 'utf8').matchAll(/^(?:import|export)\b[^;]*?["']([^"']+)["'];?$/gm)) imported.add(match[1])
    }
    const outside = [...imported].filter((name) => !name.startsWith('node:') && !builtinModules.includes(name) && !name.startsWith('./'))
    expect(outside.sort()).toEqual(['cluster-key-slot', 'redis', 'ws'])
  })
})

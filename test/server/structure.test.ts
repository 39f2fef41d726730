import { relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importCycles, longFunctions, sourceFiles } from '../support/structure'

const files = sourceFiles('examples/server/src')

describe('the reference server reads in small parts', () => {
  it('finds its sources', () => {
    expect(files.length).toBeGreaterThan(20)
  })

  it('has no function over 120 lines', () => {
    expect(longFunctions(files, 120)).toEqual([])
  })

  it('has no import cycle, type imports included', () => {
    expect(importCycles(files).map((cycle) => cycle.map((file) => relative('examples/server/src', file)).join(' -> '))).toEqual([])
  })
})

// Shared helpers of the benchmark: processes (pinned to CPUs where taskset exists), statistics.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    return availableParallelism() >= 2
  } catch {
    return false
  }
})()

/** Where servers and clients run: server on CPU 1, client on CPU 0, when there are two and taskset. */
export const pinning = hasTaskset ? 'server pinned to CPU 1, client to CPU 0 (taskset)' : 'not pinned (no taskset or a single CPU)'

/** `[file, args]` that run `program args` on `cpu` (pinned where taskset exists). */
export function command(cpu, args, program = process.execPath) {
  return hasTaskset ? ['taskset', ['-c', String(cpu), program, ...args]] : [program, args]
}

/** The port a server script's process prints (`PORT n`); rejects if it exits first or stays silent for 15 s. */
export function printedPort(child, script) {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      const match = output.match(/PORT (\d+)/)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    setTimeout(() => reject(new Error(`${script} did not start`)), 15_000).unref()
  })
}

/** Starts a server script that prints `PORT n`; resolves with its port and a stop function. */
export async function startServer(script, env = {}, nodeArgs = []) {
  const [file, args] = command(1, [...nodeArgs, join(ROOT, script)])
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await printedPort(child, script)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    port,
    pid: child.pid,
    async stop(signal = 'SIGTERM') {
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * CPU time a process has used so far, user + system, in ms, from /proc (clock ticks of 10 ms).
 * CPU time per request moves far less with the machine's load than requests per second do: a busy
 * machine stretches the wall clock, not (much) the work a request costs.
 */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces: utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * The machine's CPU time so far, and the part of it the hypervisor gave to other guests (steal),
 * in clock ticks, from /proc/stat; undefined where there is none. On a shared VM a run the host
 * stole from is slower and has a longer tail whatever library it measures.
 */
export function machineTicks() {
  if (!existsSync('/proc/stat')) return undefined
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  return { total: fields.reduce((sum, ticks) => sum + ticks, 0), steal: fields[7] }
}

/** The share of the machine's CPU time stolen since `before` (from `machineTicks`), in %; undefined off Linux. */
export function stolenSince(before) {
  const after = machineTicks()
  if (!before || !after || after.total === before.total) return undefined
  return (100 * (after.steal - before.steal)) / (after.total - before.total)
}

/** Runs a client script on CPU 0 and parses the JSON line it prints last. */
export function runClient(script, args, { timeout = 120_000, nodeArgs = [] } = {}) {
  const [file, fullArgs] = command(0, [...nodeArgs, join(ROOT, script), ...args.map(String)])
  return new Promise((resolve, reject) => {
    const child = spawn(file, fullArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
    child.once('exit', (code) => {
      clearTimeout(timer)
      const line = output.trim().split('\n').pop()
      if (code !== 0) return reject(new Error(`${script} ${args.join(' ')} exited with ${code}: ${output}`))
      resolve(JSON.parse(line))
    })
  })
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] }
}

export const ms = (value) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2))

/** A Markdown table from a header row and rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export const exists = existsSync

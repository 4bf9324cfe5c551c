// Running a network's plugin chain for one container: ADD in order, each plugin given the previous one's result
// (prevResult); DEL in reverse order with the same configs and the chain's final ADD result. Plugins are executables
// reading their config on stdin and CNI_* variables, answering JSON on stdout (an error object with exit 1).

import { findPlugin } from './config-dir.ts'
import { pluginErrorMessage } from './cni-result.ts'
import { invocationConfig, pluginEnv, type InvocationEnv, type PluginStdin } from './plugin-config.ts'
import { runCaptured } from './process-output.ts'

export interface ChainContext extends InvocationEnv {
  network: string
  timeoutMs?: number
}

/** A plugin failed: carries the plugin's own message, with the network, plugin and container it concerned. */
export class CniPluginError extends Error {}

async function invoke(command: 'ADD' | 'DEL', conf: PluginStdin, prevResult: unknown, ctx: ChainContext): Promise<unknown> {
  const type = String(conf.type)
  const where = `network '${ctx.network}': CNI plugin '${type}' ${command} for container ${ctx.containerId}`
  const binary = findPlugin(type, ctx.pluginDirs)
  if (!binary) throw new CniPluginError(`${where} failed: no '${type}' binary in ${ctx.pluginDirs.join(':')}`)
  const stdin = JSON.stringify(invocationConfig(conf, command, prevResult))
  const r = await runCaptured([binary], { stdin, env: pluginEnv(command, ctx, process.env.PATH), timeoutMs: ctx.timeoutMs })
  if (r.timedOut) throw new CniPluginError(`${where} did not finish within ${(ctx.timeoutMs ?? 60_000) / 1000}s`)
  if (r.code !== 0) throw new CniPluginError(`${where} failed: ${pluginErrorMessage(r.stdout, r.stderr, r.code)}`)
  if (command === 'DEL' || !r.stdout.trim()) return prevResult
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new CniPluginError(`${where} printed a result that is not JSON: ${r.stdout.trim().slice(0, 200)}`)
  }
}

/**
 * ADD through the chain; returns the last plugin's result (what DEL gets as prevResult). `onAdded` is told after
 * each plugin how many have succeeded and the result so far, so the caller can checkpoint the progress.
 */
export async function addChain(configs: PluginStdin[], ctx: ChainContext, onAdded: (added: number, result: unknown) => void): Promise<unknown> {
  let result: unknown
  for (const [i, conf] of configs.entries()) {
    result = await invoke('ADD', conf, result, ctx)
    onAdded(i + 1, result)
  }
  return result
}

/**
 * DEL through the chain in reverse, for the plugins whose ADD ran: the first `added` succeeded, and the next one
 * failed or was cut short (a crash), so it may hold a part too. Every plugin is asked even when one fails (each
 * releases its own part: IPAM lease, veth, iptables chains). Returns the failures that matter, one message each:
 * a DEL failing for the plugin whose ADD failed is only logged, as with a config it could never accept, it would
 * fail forever.
 */
export async function delChain(configs: PluginStdin[], added: number, prevResult: unknown, ctx: ChainContext, log: (msg: string) => void): Promise<string[]> {
  const errors: string[] = []
  for (let i = Math.min(added, configs.length - 1); i >= 0; i--) {
    try {
      await invoke('DEL', configs[i]!, prevResult, ctx)
    } catch (err) {
      if (i < added) errors.push((err as Error).message)
      else log((err as Error).message)
    }
  }
  return errors
}

// How a master is named where an address is expected (--master, MESO_MASTER, a Location header): host:port, or a
// ZooKeeper URL (zk://…, or file:///path holding one, as Mesos' MasterDetector reads it) to ask who leads.
// Kept free of the ZooKeeper client, so the CLI's start-up does not load it.

import type { MasterInfo } from './v1/messages.ts'

export function isZooKeeperUrl(master: string): boolean {
  return /^(zk|file):\/\//.test(master.trim())
}

/** ip:port of a leading master, from the MasterInfo it published (its IP: hostnames need not resolve). */
export function leaderAddress(leader: MasterInfo): string {
  return `${leader.address?.ip ?? leader.hostname}:${leader.address?.port ?? leader.port}`
}

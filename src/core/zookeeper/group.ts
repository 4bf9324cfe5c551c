// Group membership names, as Mesos' zookeeper::Group writes and reads them (upstream src/zookeeper/group.cpp):
// each member is an EPHEMERAL_SEQUENTIAL child `<label>_<10-digit sequence>` of the group znode; the leader is
// the member with the lowest sequence (src/zookeeper/detector.cpp: "the oldest member"). Children whose names
// do not end in a number (the replicated log's `log_replicas`, say) are not members. Pure.

export interface Member {
  /** The child's name, e.g. 'json.info_0000000007'. */
  name: string
  /** The part before the first '_', e.g. 'json.info'; absent for bare-numbered children. */
  label?: string
  sequence: number
}

/** Group::cache tokenizes on '_': the label is the first token, the sequence the last. */
export function parseMember(name: string): Member | undefined {
  const tokens = name.split('_').filter(t => t !== '')
  const last = tokens.at(-1)
  if (last === undefined || !/^-?\d+$/.test(last)) return undefined
  const sequence = Number(last)
  if (!Number.isSafeInteger(sequence)) return undefined
  return tokens.length > 1 ? { name, label: tokens[0]!, sequence } : { name, sequence }
}

/** The members with `label` (all members when it is undefined), lowest sequence first. */
export function members(children: readonly string[], label?: string): Member[] {
  return children
    .map(parseMember)
    .filter((m): m is Member => m !== undefined && (label === undefined || m.label === label))
    .sort((a, b) => a.sequence - b.sequence)
}

/** The leader among `children`: the lowest sequence with `label`, or undefined for an empty group. */
export function leaderOf(children: readonly string[], label?: string): Member | undefined {
  return members(children, label)[0]
}

/** The prefix a member's EPHEMERAL_SEQUENTIAL create uses: the server appends the sequence. */
export function memberPrefix(groupPath: string, label: string): string {
  return `${groupPath === '/' ? '' : groupPath}/${label}_`
}

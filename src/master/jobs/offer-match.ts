// Whether an offer can hold a job run's task, and which of its resources the task takes: Metronome's placement
// constraints (IS/EQ: the attribute equals the value; LIKE/UNLIKE: it matches / does not match the value as a
// whole-string regular expression; `hostname` is the agent's hostname; an agent without the attribute fails IS, EQ
// and LIKE and passes UNLIKE, as in Marathon) and the run's cpus, mem, disk and gpus. Pure.

import type { Resource } from '../../core/resources.ts'
import type { Offer } from '../../core/v1/messages.ts'
import type { ConstraintSpec, JobRunSpec } from './job-spec.ts'

function attributeValue(offer: Offer, name: string): string | undefined {
  if (name === 'hostname') return offer.hostname
  const a = offer.attributes?.find(x => x.name === name) as { text?: { value: string }; scalar?: { value: number } } | undefined
  if (!a) return undefined
  if (a.text) return a.text.value
  if (a.scalar) return String(a.scalar.value)
  return undefined
}

export function meetsConstraints(offer: Offer, constraints: readonly ConstraintSpec[]): boolean {
  return constraints.every(c => {
    const v = attributeValue(offer, c.attribute)
    switch (c.operator) {
      case 'IS':
      case 'EQ': return v !== undefined && v === c.value
      case 'LIKE': return v !== undefined && new RegExp(`^(?:${c.value})$`).test(v)
      case 'UNLIKE': return v === undefined || !new RegExp(`^(?:${c.value})$`).test(v)
    }
  })
}

/** Plain scalar resources (not volumes, not revocable) an offer has left, as the offer lists them. */
export type OfferRemainder = Resource[]

/**
 * Takes what `run` needs from `remaining` (mutated: the taken amounts are subtracted) and returns the task's
 * resources, or undefined (nothing taken) when the remainder is too small.
 */
export function takeResources(remaining: OfferRemainder, run: Pick<JobRunSpec, 'cpus' | 'mem' | 'disk' | 'gpus'>): Resource[] | undefined {
  const need: [string, number][] = ([['cpus', run.cpus], ['mem', run.mem], ['disk', run.disk], ['gpus', run.gpus]] as [string, number][]).filter(([, n]) => n > 0)
  const usable = (r: Resource, name: string) => r.name === name && r.type === 'SCALAR' && !r.disk && !r.revocable && !r.shared && (r.scalar?.value ?? 0) > 0
  for (const [name, amount] of need) {
    const have = remaining.filter(r => usable(r, name)).reduce((s, r) => s + r.scalar!.value, 0)
    if (have + 1e-9 < amount) return undefined
  }
  const taken: Resource[] = []
  for (const [name, amount] of need) {
    let left = amount
    for (const r of remaining) {
      if (left <= 1e-9 || !usable(r, name)) continue
      const take = Math.min(left, r.scalar!.value)
      taken.push({ ...r, scalar: { value: Math.round(take * 1000) / 1000 } })
      r.scalar = { value: Math.round((r.scalar!.value - take) * 1000) / 1000 }
      left -= take
    }
  }
  return taken
}

/** A fresh remainder for an offer (copies: takeResources mutates it). */
export function remainderOf(offer: Offer): OfferRemainder {
  return (offer.resources ?? []).map(r => ({ ...r, ...(r.scalar ? { scalar: { ...r.scalar } } : {}) }))
}

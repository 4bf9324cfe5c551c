// Marathon's placement constraints (Constraints.scala, ConstraintValidation): `[field, OPERATOR, value?]` over the
// agent's `hostname` (also `@hostname`) or one of its attributes, judged against the app's tasks already placed.
//   UNIQUE              no other task of the app has the offer's value
//   CLUSTER v           the value is v; without v, the value all the app's tasks have (any, for the first task)
//   GROUP_BY n?         the offer's value has no more tasks than the least used value (tasks spread over values;
//                       with n, values not seen yet count as 0 until n values are in use)
//   LIKE re / UNLIKE re the value matches / does not match the regular expression as a whole
//   MAX_PER n           fewer than n tasks have the offer's value
//   IS v                the value is v
// An agent without the attribute fails every operator but UNLIKE, as in Marathon. Pure.

import type { Offer } from '../../core/v1/messages.ts'

export const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'] as const
export type ConstraintOperator = typeof CONSTRAINT_OPERATORS[number]
export type Constraint = [string, ConstraintOperator] | [string, ConstraintOperator, string]

/** Where an app's task runs, as far as constraints care. */
export interface Placement { hostname: string; attributes: Record<string, string> }

/** The problems of one constraint (Marathon's wording), empty when it is valid. */
export function constraintErrors(c: unknown): string[] {
  if (!Array.isArray(c) || c.length < 2 || c.length > 3 || !c.every(x => typeof x === 'string')) return ['Each constraint must have either 2 or 3 fields']
  const [, op, value] = c as string[]
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(op!)) return [`Constraint operator must be one of the following: [${CONSTRAINT_OPERATORS.join(', ')}]`]
  switch (op) {
    case 'UNIQUE': return value === undefined ? [] : ['Value specified but not used']
    case 'CLUSTER': return value !== undefined && value === '' ? ['Missing value'] : []
    case 'GROUP_BY': return value === undefined || /^\d+$/.test(value) ? [] : ['Value was not a valid integer']
    case 'MAX_PER': return value !== undefined && /^\d+$/.test(value) ? [] : ['Value was not a valid integer']
    case 'LIKE':
    case 'UNLIKE': {
      if (value === undefined) return ['A regular expression value must be provided']
      try { new RegExp(value) } catch { return ['Invalid regular expression'] }
      return []
    }
    case 'IS': return value === undefined ? ['A value must be provided'] : []
  }
  return []
}

function attributeText(a: { type?: string; text?: { value: string }; scalar?: { value: number }; ranges?: { range?: { begin: number; end: number }[] }; set?: { item?: string[] } }): string | undefined {
  if (a.text) return a.text.value
  if (a.scalar) return String(a.scalar.value)
  if (a.ranges) return `[${(a.ranges.range ?? []).map(r => `${r.begin}-${r.end}`).join(',')}]`
  if (a.set) return `{${(a.set.item ?? []).join(',')}}`
  return undefined
}

/** The hostname and attributes of an offer's agent. */
export function placementOf(offer: Pick<Offer, 'hostname' | 'attributes'>): Placement {
  const attributes: Record<string, string> = {}
  for (const a of (offer.attributes ?? []) as any[]) {
    const v = attributeText(a)
    if (v !== undefined) attributes[a.name] = v
  }
  return { hostname: offer.hostname, attributes }
}

function fieldValue(p: Placement, field: string): string | undefined {
  if (field === 'hostname' || field === '@hostname') return p.hostname
  return p.attributes[field]
}

const fullMatch = (re: string, v: string) => new RegExp(`^(?:${re})$`).test(v)

/** Whether one more task of the app may go to `offer`, given where its tasks are (`placed`). */
export function meetsConstraint(offer: Placement, placed: readonly Placement[], [field, op, value]: Constraint): boolean {
  const v = fieldValue(offer, field)
  if (v === undefined) return op === 'UNLIKE'
  const values = placed.map(p => fieldValue(p, field)).filter((x): x is string => x !== undefined)
  switch (op) {
    case 'UNIQUE': return !values.includes(v)
    case 'CLUSTER': return value !== undefined ? v === value : values.every(x => x === v)
    case 'LIKE': return fullMatch(value!, v)
    case 'UNLIKE': return !fullMatch(value!, v)
    case 'IS': return v === value
    case 'MAX_PER': return values.filter(x => x === v).length < Number(value)
    case 'GROUP_BY': {
      const counts = new Map<string, number>()
      for (const x of values) counts.set(x, (counts.get(x) ?? 0) + 1)
      const min = counts.size < Number(value ?? 0) || !counts.size ? 0 : Math.min(...counts.values())
      return (counts.get(v) ?? 0) <= min
    }
  }
}

/** The first constraint `offer` fails, or undefined. */
export function failedConstraint(offer: Placement, placed: readonly Placement[], constraints: readonly Constraint[]): Constraint | undefined {
  return constraints.find(c => !meetsConstraint(offer, placed, c))
}

// Offer constraints (Mesos 1.10+, `Call.Subscribe.offer_constraints` / `Call.UpdateFramework.offer_constraints`):
// per role, a list of groups of attribute constraints; an agent is offered to the framework under that role only if
// every constraint of at least one group holds on it. A role without constraints is never restricted. Semantics,
// validation and messages are upstream's (src/master/allocator/mesos/offer_constraints_filter.cpp,
// validation::framework::validateOfferConstraintsRoles in src/master/validation.cpp).
//
// Regexes: upstream compiles them with RE2 (linear time) under --offer_constraints_re2_max_mem and
// --offer_constraints_re2_max_program_size. JavaScript's RegExp backtracks, so meso accepts only what both engines
// read alike and cannot blow up: no backreferences or lookarounds (RE2 has none and refuses them too), no quantified
// group that itself holds a quantifier (the shape of catastrophic backtracking), and at most MAX_REGEX_LENGTH
// characters.

import type { AgentInfo, Attribute } from '../core/v1/messages.ts'
import type { Framework } from './framework.ts'

export const MAX_REGEX_LENGTH = 256

export interface AttributeConstraint {
  selector?: { pseudoattribute_type?: 'UNKNOWN' | 'HOSTNAME' | 'REGION' | 'ZONE'; attribute_name?: string }
  predicate?: {
    exists?: Record<string, never>
    not_exists?: Record<string, never>
    text_equals?: { value: string }
    text_not_equals?: { value: string }
    text_matches?: { regex: string }
    text_not_matches?: { regex: string }
  }
}

export interface OfferConstraints {
  role_constraints?: Record<string, { groups?: { attribute_constraints?: AttributeConstraint[] }[] }>
}

/** What a selector found on an agent: nothing, a pseudoattribute's string, or an attribute. */
type Found = { kind: 'none' } | { kind: 'string'; value: string } | { kind: 'attribute'; attribute: Attribute }

type Predicate = (found: Found) => boolean
type Evaluator = (agent: AgentInfo) => boolean

/** The compiled constraints of one framework: which agents each constrained role must not be offered. */
export class OfferConstraintsFilter {
  static readonly NONE = new OfferConstraintsFilter(new Map())

  /** `constraints`: what the framework gave (GET_FRAMEWORKS and /frameworks show it), when it constrains a role. */
  private constructor(private readonly roles: ReadonlyMap<string, Evaluator[][]>, readonly constraints?: OfferConstraints) {}

  get isEmpty(): boolean { return this.roles.size === 0 }

  /** upstream isAgentExcluded: no group of the role's constraints holds entirely on the agent. */
  isAgentExcluded(role: string, agent: AgentInfo): boolean {
    const groups = this.roles.get(role)
    if (!groups) return false
    return !groups.some(group => group.every(evaluate => evaluate(agent)))
  }

  /**
   * Validates and compiles; the error is upstream's wording (the caller prefixes it as upstream does:
   * `Offer constraints are not valid: …`, except for the roles check, whose message stands alone).
   */
  static create(constraints: OfferConstraints | undefined, frameworkRoles: readonly string[]): OfferConstraintsFilter | { error: string; roles?: true } {
    const roles = new Map<string, Evaluator[][]>()
    const entries = Object.entries(constraints?.role_constraints ?? {})
    for (const [role] of entries) {
      if (!frameworkRoles.includes(role)) return { error: `Offer constraints specify \`role_constraints\` for a role '${role}'not contained in the set of roles`, roles: true }
    }
    for (const [role, rc] of entries) {
      const groups = rc?.groups ?? []
      if (groups.length === 0) return { error: `'OfferConstraints::role_constraints' has an empty 'RoleConstraints::groups' for role ${role}` }
      const compiled: Evaluator[][] = []
      for (const g of groups) {
        const list = g?.attribute_constraints ?? []
        if (list.length === 0) return { error: `'OfferConstraints::RoleConstraints::groups' for role ${role}contains an empty RoleConstraints::Group` }
        const group: Evaluator[] = []
        for (const c of list) {
          const e = compileConstraint(c)
          if (typeof e === 'string') return { error: `A role ${role} has an invalid 'AttributeConstraint': ${e}` }
          group.push(e)
        }
        compiled.push(group)
      }
      roles.set(role, compiled)
    }
    return roles.size ? new OfferConstraintsFilter(roles, constraints) : OfferConstraintsFilter.NONE
  }
}

/**
 * Each framework's constraints, as the last SUBSCRIBE / UPDATE_FRAMEWORK gave them. Like upstream they live with the
 * framework in memory, not in the registry: a framework re-subscribing after a master restart states them again.
 */
const byFramework = new WeakMap<Framework, OfferConstraintsFilter>()

export function frameworkOfferConstraints(fw: Framework): OfferConstraintsFilter {
  return byFramework.get(fw) ?? OfferConstraintsFilter.NONE
}

export function setFrameworkOfferConstraints(fw: Framework, filter: OfferConstraintsFilter): void {
  byFramework.set(fw, filter)
}

function compileConstraint(c: AttributeConstraint): Evaluator | string {
  const sel = c.selector ?? {}
  const hasName = sel.attribute_name !== undefined
  const hasPseudo = sel.pseudoattribute_type !== undefined
  if (hasName === hasPseudo) {
    return "Exactly one of 'AttributeConstraint::Selector::name' or 'AttributeConstraint::Selector::pseudoattribute_type' must be set"
  }
  if (hasPseudo && !['HOSTNAME', 'REGION', 'ZONE'].includes(sel.pseudoattribute_type!)) return 'Unknown pseudoattribute type'
  const predicate = compilePredicate(c.predicate ?? {})
  if (typeof predicate === 'string') return predicate
  if (hasName) {
    const name = sel.attribute_name!
    return agent => {
      const attribute = agent.attributes?.find(a => a.name === name)
      return predicate(attribute ? { kind: 'attribute', attribute } : { kind: 'none' })
    }
  }
  const pseudo = sel.pseudoattribute_type!
  return agent => {
    if (pseudo === 'HOSTNAME') return predicate({ kind: 'string', value: agent.hostname })
    const fd = (agent.domain as { fault_domain?: { region?: { name?: string }; zone?: { name?: string } } } | undefined)?.fault_domain
    if (!fd) return predicate({ kind: 'none' })
    return predicate({ kind: 'string', value: (pseudo === 'REGION' ? fd.region?.name : fd.zone?.name) ?? '' })
  }
}

/** A non-TEXT attribute satisfies every text predicate, as upstream (the constraint only speaks about text). */
const text = (f: Found, onText: (s: string) => boolean, onNone: boolean): boolean =>
  f.kind === 'none' ? onNone : f.kind === 'string' ? onText(f.value) : f.attribute.type !== 'TEXT' || onText(f.attribute.text?.value ?? '')

function compilePredicate(p: NonNullable<AttributeConstraint['predicate']>): Predicate | string {
  const set = Object.keys(p).filter(k => (p as Record<string, unknown>)[k] !== undefined)
  if (set.length !== 1) return 'Unknown predicate type'
  if (p.exists) return f => f.kind !== 'none'
  if (p.not_exists) return f => f.kind === 'none'
  if (p.text_equals) { const v = p.text_equals.value; return f => text(f, s => s === v, false) }
  if (p.text_not_equals) { const v = p.text_not_equals.value; return f => text(f, s => s !== v, true) }
  const regex = p.text_matches?.regex ?? p.text_not_matches?.regex
  if (regex === undefined) return 'Unknown predicate type'
  const re = compileRegex(regex)
  if (typeof re === 'string') return re
  return p.text_matches ? f => text(f, s => re.test(s), false) : f => text(f, s => !re.test(s), true)
}

/** A full-match RegExp for an RE2 pattern, or why meso refuses it. */
export function compileRegex(pattern: string): RegExp | string {
  if (pattern.length > MAX_REGEX_LENGTH) return `Regex '${pattern}' is too complex: longer than ${MAX_REGEX_LENGTH} characters`
  const refuse = (why: string) => `Failed to construct regex from pattern '${pattern}': ${why}`
  // Quantified groups: a stack of "holds a quantifier" per open group.
  const open: boolean[] = []
  let lastGroupQuantified = false
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '\\') {
      const next = pattern[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') return refuse(`invalid escape sequence: \\${next}`)
      i++
      lastGroupQuantified = false
      continue
    }
    if (ch === '[') {
      // Skip a character class whole: quantifier characters inside it are literals.
      let j = i + 1
      if (pattern[j] === '^') j++
      if (pattern[j] === ']') j++
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
      i = j
      lastGroupQuantified = false
      continue
    }
    if (ch === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return refuse(`invalid perl operator: ${pattern.slice(i, pattern[i + 2] === '<' ? i + 4 : i + 3)}`)
      }
      open.push(false)
      lastGroupQuantified = false
      continue
    }
    if (ch === ')') {
      lastGroupQuantified = open.pop() ?? false
      if (lastGroupQuantified && open.length) open[open.length - 1] = true
      continue
    }
    if (ch === '*' || ch === '+' || ch === '{' || ch === '?') {
      // `?` right after `(`, or after another quantifier (lazy), is not a quantifier of its own.
      if (ch === '?' && (pattern[i - 1] === '(' || '*+?}'.includes(pattern[i - 1] ?? ''))) continue
      if (ch !== '?' && lastGroupQuantified && pattern[i - 1] === ')') {
        return refuse('a quantified group that holds a quantifier may backtrack catastrophically (meso runs regexes on a backtracking engine)')
      }
      if (ch !== '?' && open.length) open[open.length - 1] = true
      lastGroupQuantified = false
      continue
    }
    lastGroupQuantified = false
  }
  try {
    return new RegExp(`^(?:${pattern})$`, 'u')
  } catch (err) {
    return refuse((err as Error).message)
  }
}

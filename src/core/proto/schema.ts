// A tiny proto2 reader: turns the `.proto` texts in ./defs into message and enum descriptors that the JSON and
// binary codecs walk. It supports the subset the defs use (package, nested message/enum, optional/required/
// repeated fields with [default=…, deprecated=…], map<K,V>, oneof) — enough to speak Mesos' wire format
// without a protoc step in the build.

export type ScalarType =
  | 'double' | 'float' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64' | 'bool' | 'string' | 'bytes'

const SCALARS = new Set<string>([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
])

export interface FieldDef {
  name: string
  number: number
  label: 'optional' | 'required' | 'repeated' | 'map'
  /** Scalar name, or the resolved full name of a message/enum (for maps: the value type). */
  type: string
  kind: 'scalar' | 'message' | 'enum'
  /** Map key scalar type (maps only). */
  keyType?: ScalarType
  /** Explicit [default = …], already converted to its JSON form. */
  defaultValue?: unknown
  deprecated: boolean
  message?: MessageType
  enumType?: EnumType
}

export interface MessageType {
  fullName: string
  fields: FieldDef[]
  byName: Map<string, FieldDef>
  byNumber: Map<number, FieldDef>
}

export interface EnumType {
  fullName: string
  byName: Map<string, number>
  byNumber: Map<number, string>
}

interface RawField {
  name: string
  number: number
  label: FieldDef['label']
  typeName: string
  keyType?: string
  options: Record<string, string>
}

export class SchemaError extends Error {}

export class Schema {
  readonly messages = new Map<string, MessageType>()
  readonly enums = new Map<string, EnumType>()
  private pending: { msg: MessageType; scope: string; raw: RawField[] }[] = []

  /** Adds the definitions of one .proto text. Call `link()` after the last one. */
  add(text: string, source = '<proto>'): this {
    const tokens = tokenize(text)
    let i = 0
    let pkg = ''
    const next = () => tokens[i++]
    const peek = () => tokens[i]
    const expect = (t: string) => {
      const got = next()
      if (got !== t) throw new SchemaError(`${source}: expected '${t}' but found '${got}' (token ${i})`)
    }
    const parseEnum = (scope: string) => {
      const name = next()!
      const e: EnumType = { fullName: join(scope, name), byName: new Map(), byNumber: new Map() }
      expect('{')
      while (peek() !== '}') {
        const vname = next()!
        expect('=')
        let num = next()!
        if (num === '-') num = '-' + next()
        expect(';')
        e.byName.set(vname, Number(num))
        if (!e.byNumber.has(Number(num))) e.byNumber.set(Number(num), vname)
      }
      expect('}')
      this.enums.set(e.fullName, e)
    }
    const parseField = (label: FieldDef['label'] | undefined, raw: RawField[]) => {
      let keyType: string | undefined
      let typeName: string
      if (label === undefined && peek() === 'map') {
        next(); expect('<'); keyType = next(); expect(','); typeName = next()!; expect('>')
        label = 'map'
      } else {
        typeName = next()!
      }
      const name = next()!
      expect('=')
      const number = Number(next())
      const options: Record<string, string> = {}
      if (peek() === '[') {
        next()
        for (;;) {
          const key = next()!
          expect('=')
          options[key] = next()!
          if (peek() === ',') { next(); continue }
          expect(']')
          break
        }
      }
      expect(';')
      raw.push({ name, number, label: label ?? 'optional', typeName, keyType, options })
    }
    const parseMessage = (scope: string) => {
      const name = next()!
      const fullName = join(scope, name)
      const msg: MessageType = { fullName, fields: [], byName: new Map(), byNumber: new Map() }
      const raw: RawField[] = []
      expect('{')
      while (peek() !== '}') {
        const t = next()
        if (t === 'message') parseMessage(fullName)
        else if (t === 'enum') parseEnum(fullName)
        else if (t === 'oneof') {
          next(); expect('{')
          while (peek() !== '}') parseField('optional', raw)
          expect('}')
        } else if (t === 'optional' || t === 'required' || t === 'repeated') parseField(t, raw)
        else if (t === 'map') { i--; parseField(undefined, raw) }
        else if (t === ';') continue
        else throw new SchemaError(`${source}: unexpected '${t}' in message ${fullName}`)
      }
      expect('}')
      this.messages.set(fullName, msg)
      this.pending.push({ msg, scope: fullName, raw })
    }
    while (i < tokens.length) {
      const t = next()
      if (t === 'package') { pkg = next()!; expect(';') }
      else if (t === 'message') parseMessage(pkg)
      else if (t === 'enum') parseEnum(pkg)
      else if (t === ';') continue
      else throw new SchemaError(`${source}: unexpected top-level token '${t}'`)
    }
    return this
  }

  /** Resolves type references (protoc scoping: innermost scope outwards) and converts defaults. */
  link(): this {
    for (const { msg, scope, raw } of this.pending) {
      for (const r of raw) {
        const f: FieldDef = {
          name: r.name, number: r.number, label: r.label, type: r.typeName, kind: 'scalar',
          deprecated: r.options.deprecated === 'true',
        }
        if (r.keyType) f.keyType = r.keyType as ScalarType
        if (!SCALARS.has(r.typeName)) {
          const full = this.resolve(r.typeName, scope)
          if (!full) throw new SchemaError(`cannot resolve type '${r.typeName}' of ${msg.fullName}.${r.name}`)
          f.type = full
          if (this.messages.has(full)) { f.kind = 'message'; f.message = this.messages.get(full) }
          else { f.kind = 'enum'; f.enumType = this.enums.get(full) }
        }
        if (r.options.default !== undefined) f.defaultValue = convertDefault(f, r.options.default)
        msg.fields.push(f)
        msg.byName.set(f.name, f)
        msg.byNumber.set(f.number, f)
      }
    }
    this.pending = []
    return this
  }

  message(fullName: string): MessageType {
    const m = this.messages.get(fullName)
    if (!m) throw new SchemaError(`unknown message type ${fullName}`)
    return m
  }

  enumType(fullName: string): EnumType {
    const e = this.enums.get(fullName)
    if (!e) throw new SchemaError(`unknown enum type ${fullName}`)
    return e
  }

  private resolve(name: string, scope: string): string | undefined {
    if (name.startsWith('.')) name = name.slice(1)
    let s = scope
    for (;;) {
      const candidate = join(s, name)
      if (this.messages.has(candidate) || this.enums.has(candidate)) return candidate
      if (!s) return undefined
      const dot = s.lastIndexOf('.')
      s = dot < 0 ? '' : s.slice(0, dot)
    }
  }
}

function join(scope: string, name: string): string {
  return scope ? `${scope}.${name}` : name
}

function convertDefault(f: FieldDef, text: string): unknown {
  if (f.kind === 'enum') return text
  if (f.type === 'string' || f.type === 'bytes') return JSON.parse(text)
  if (f.type === 'bool') return text === 'true'
  if (text === 'inf') return Infinity
  return Number(text)
}

function tokenize(text: string): string[] {
  const out: string[] = []
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[{}\[\]<>=;,\-]|\S/g
  for (const m of text.matchAll(re)) {
    const t = m[0]
    if (t.startsWith('//') || t.startsWith('/*')) continue
    out.push(t)
  }
  return out
}

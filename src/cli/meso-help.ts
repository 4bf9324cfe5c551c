// meso's help renderer: oclif's layout (sections, flag tables, topic lists), with these changes. Text wraps at
// spaces only (text-wrap.ts), never inside a word; the two-column lists never run past the width (oclif's multi-line
// form indents descriptions two columns more than it wrapped them for); and the top-level prose lines oclif leaves
// unwrapped (a command's summary, the root description) wrap too. The build renders the manifest's help with this
// class (scripts/gen-cli-manifest.ts) and src/main.ts renders any other width with it, so both agree.

import { CommandHelp, Help, type Config } from '@oclif/core'
import { wrapWords } from './text-wrap.ts'

type ListOptions = { indentation: number; multiline?: boolean; spacer?: string; stripAnsi?: boolean }

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

interface Formatter {
  wrap(body: string, spacing?: number): string
  indent(body: string, spacing?: number): string
}

/**
 * oclif's renderList: rows of [left, right] as two aligned columns, or, when a description would take more than four
 * lines, each description on the lines under its flag. The section around the list indents it by `indentation`.
 */
function renderList(f: Formatter, input: Array<Array<string | undefined>>, opts: ListOptions): string {
  if (input.length === 0) return ''
  const clean = (s: string) => (opts.stripAnsi ? stripAnsi(s) : s)
  const multiline = () => {
    let out = ''
    for (const [left, right] of input) {
      if (!left && !right) continue
      if (left) out += f.wrap(clean(left).trim(), opts.indentation)
      // The description sits 4 columns under its flag, inside the section's indentation.
      if (right) out += `\n${f.indent(f.wrap(clean(right).trim(), opts.indentation + 4), 4)}`
      out += '\n\n'
    }
    return out.trim()
  }
  if (opts.multiline) return multiline()
  const leftWidth = Math.max(...input.map(([left]) => Math.max(...(left ?? '').split('\n').map(l => stripAnsi(l).length))))
  let out = ''
  let spacer = opts.spacer ?? '\n'
  let cur = ''
  for (const [left, r] of input) {
    if (cur) out += spacer + cur
    cur = clean(left ?? '')
    if (!r) { cur = cur.trim(); continue }
    const [first, ...rest] = f.wrap(clean(r).trim(), opts.indentation + leftWidth + 2).split('\n').map(s => s.trim())
    cur += ' '.repeat(leftWidth - stripAnsi(cur).length + 2) + first
    if (rest.length === 0) continue
    if (rest.length > 4) return multiline()
    if (!opts.spacer) spacer = '\n'
    cur += `\n${f.indent(rest.join('\n'), leftWidth + 2)}`
  }
  if (cur) out += spacer + cur
  return out.trim()
}

class MesoCommandHelp extends CommandHelp {
  override wrap(body: string, spacing = this.indentSpacing): string {
    return wrapWords(this.render(body), this.opts.maxWidth - spacing)
  }

  override renderList(input: Array<Array<string | undefined>>, opts: ListOptions): string {
    return renderList(this, input, opts)
  }
}

export class MesoHelp extends Help {
  protected override CommandHelpClass = MesoCommandHelp

  override wrap(body: string, spacing = this.indentSpacing): string {
    return wrapWords(this.render(body), this.opts.maxWidth - spacing)
  }

  override renderList(input: Array<Array<string | undefined>>, opts: ListOptions): string {
    return renderList(this, input, opts)
  }

  // Indented lines are already laid out (tables, examples that must stay copy-pasteable); unindented prose is not.
  protected override log(...args: string[]): void {
    super.log(...args.map(a => a.split('\n').map(line => /^\S/.test(line) ? wrapWords(line, this.opts.maxWidth) : line).join('\n')))
  }
}

/**
 * The help `argv` asks for, as text, at `width` columns without colour (the build's manifest and the tests).
 * oclif's Help prints through stdout and rewrites each command's id in place ('task:run' → 'task run'), after which
 * topic help finds no commands under 'task:'; both are undone after every rendering.
 */
export async function helpAsText(config: Config, argv: string[], width: number): Promise<string> {
  let out = ''
  const write = process.stdout.write.bind(process.stdout)
  const log = console.log
  ;(process.stdout as any).write = (chunk: string | Uint8Array) => { out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk); return true }
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n' }
  const ids = config.commands.map(c => [c, c.id] as const)
  try {
    await new MesoHelp(config, { stripAnsi: true, maxWidth: width }).showHelp(argv)
  } finally {
    for (const [c, id] of ids) c.id = id
    ;(process.stdout as any).write = write
    console.log = log
  }
  return out
}

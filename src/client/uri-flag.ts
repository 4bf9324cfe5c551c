// `meso task run --uri URL[,extract=false][,executable=true][,cache=true][,output_file=NAME]`: one CommandInfo.URI
// per flag. Options are peeled off the end only while they are one of these four names with a value, so a URL that
// itself contains commas (`?a=1,2`) stays whole. Pure.

import type { CommandInfo } from '../core/v1/messages.ts'

export type CommandUri = NonNullable<CommandInfo['uris']>[number]

const BOOL_OPTIONS = ['extract', 'executable', 'cache'] as const
const OPTION = /^(extract|executable|cache|output_file|output-file)=(.*)$/

/** The URI a `--uri` value describes; throws a usage message naming the problem. */
export function parseUriFlag(arg: string): CommandUri {
  const parts = arg.split(',')
  const options: [string, string][] = []
  while (parts.length > 1) {
    const m = OPTION.exec(parts[parts.length - 1]!)
    if (!m) break
    options.unshift([m[1]!.replace('-', '_'), m[2]!])
    parts.pop()
  }
  const value = parts.join(',').trim()
  if (!value) throw new Error(`--uri expects URL[,extract=false][,executable=true][,cache=true][,output_file=NAME], got '${arg}'`)
  const uri: CommandUri = { value }
  for (const [name, v] of options) {
    if (name === 'output_file') {
      if (!v) throw new Error(`--uri: output_file needs a file name, got '${arg}'`)
      uri.output_file = v
      continue
    }
    if (v !== 'true' && v !== 'false') throw new Error(`--uri: ${name} must be true or false, got '${v}'`)
    uri[name as (typeof BOOL_OPTIONS)[number]] = v === 'true'
  }
  return uri
}

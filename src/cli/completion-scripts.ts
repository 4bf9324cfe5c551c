// The shell side of completion: each script hands the words typed so far to `meso __complete -- WORDS…` (the binary
// the user typed, so a checkout's dist/meso completes as well as the one on PATH) and offers what it prints, one
// candidate a line. All the logic lives in completion-candidates.ts; an empty answer falls back to file names where
// the shell allows (bash, zsh), so `meso image load <TAB>` and the task's command after `--` still complete paths.

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const
export type CompletionShell = (typeof COMPLETION_SHELLS)[number]

const BASH = `# meso completion for bash: source <(meso completion bash), or save it in /etc/bash_completion.d/meso
_meso_complete() {
  # The line up to the cursor, split at blanks: COMP_WORDS would split --master=http://h:5050 at '=' and ':' too.
  local line="\${COMP_LINE:0:COMP_POINT}"
  local -a words
  read -r -a words <<< "$line"
  [[ "$line" == *[[:blank:]] ]] && words+=('')
  mapfile -t COMPREPLY < <("\${COMP_WORDS[0]}" __complete -- "\${words[@]:1}" 2>/dev/null)
}
complete -o default -F _meso_complete meso
`

const ZSH = `#compdef meso
# meso completion for zsh: save as _meso in a directory on $fpath (meso completion zsh > "\${fpath[1]}/_meso")
_meso() {
  local -a candidates
  candidates=("\${(@f)$(\${words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then compadd -a candidates; else _files; fi
}
if [[ "\${funcstack[1]}" == "_meso" ]]; then _meso "$@"; else compdef _meso meso; fi
`

const FISH = `# meso completion for fish: meso completion fish > ~/.config/fish/completions/meso.fish
function __meso_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    $tokens[1] __complete -- $tokens[2..-1] "$current" 2>/dev/null
end
complete -c meso -f -a '(__meso_complete)'
`

export function completionScript(shell: CompletionShell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell]
}

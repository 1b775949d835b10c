/**
 * The bash and zsh completion functions of the standalone CLI. They hold no list of commands: on
 * every <TAB> they run `<bin> __complete <words…>` (src/base/complete.ts) and read its answer, so
 * they never go stale, and values (versions in staging, backend types) and paths come from there.
 *
 * The answer: a first line of directives (`files` or `dirs`: also offer paths, after the last `=`
 * of the word; `nospace`; `nosort`), then one candidate per line, a description after a tab.
 */

/** A shell function name for `bin` (bash and zsh accept `-`, but not every character a bin may have). */
function functionName(bin: string): string {
  return `_${bin.replaceAll(/[^\w-]/g, '_')}`
}

export function bashScript(bin: string): string {
  const fn = functionName(bin)
  return `# bash completion for ${bin}: each <TAB> asks \`${bin} __complete\` what can come next.
${fn}() {
  local cur words cword
  if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    # bash-completion: the words as typed, not split at = and :
    _get_comp_words_by_ref -n =: cur words cword
  else
    local line="\${COMP_LINE:0:COMP_POINT}"
    read -ra words <<< "$line"
    [[ -z $line || $line == *[[:space:]] ]] && words+=("")
    cword=$(( \${#words[@]} - 1 ))
    cur="\${words[cword]}"
  fi

  local out
  out=$("\${words[0]}" __complete "\${words[@]:1:cword}" 2>/dev/null) || return 0
  local directives="\${out%%$'\\n'*}" rest="" entry
  [[ $out == *$'\\n'* ]] && rest="\${out#*$'\\n'}"
  COMPREPLY=()
  while IFS= read -r entry; do
    [[ -n $entry ]] && COMPREPLY+=("\${entry%%$'\\t'*}")
  done <<< "$rest"

  # bash replaces only the part of the word after its last break character (= and : by default).
  local breaks="" pre=""
  [[ $COMP_WORDBREAKS == *=* ]] && breaks+="="
  [[ $COMP_WORDBREAKS == *:* ]] && breaks+=":"
  if [[ -n $breaks && $cur == *[$breaks]* ]]; then
    pre="\${cur%"\${cur##*[$breaks]}"}"
    COMPREPLY=("\${COMPREPLY[@]#"$pre"}")
  fi
  # bash inserts a candidate as it is: one holding $( ), quotes or spaces (a hostile tag name) would
  # run or split on Enter, so such a candidate goes in quoted.
  local i
  for i in "\${!COMPREPLY[@]}"; do
    [[ \${COMPREPLY[i]} == *[!A-Za-z0-9_./:=@%+,-]* ]] && printf -v "COMPREPLY[$i]" '%q' "\${COMPREPLY[i]}"
  done

  local IFS=$'\\n' paths=""
  case " $directives " in
    *" files "*) paths=$(compgen -f -- "\${cur#"$pre"}") ;;
    *" dirs "*) paths=$(compgen -d -- "\${cur#"$pre"}") ;;
  esac
  if [[ -n $paths ]]; then
    COMPREPLY+=($paths)
    compopt -o filenames 2>/dev/null
  fi
  [[ " $directives " == *" nospace "* ]] && compopt -o nospace 2>/dev/null
  [[ " $directives " == *" nosort "* ]] && compopt -o nosort 2>/dev/null
  return 0
}
complete -F ${fn} ${bin}
`
}

export function zshScript(bin: string): string {
  const fn = functionName(bin)
  return `#compdef ${bin}
# zsh completion for ${bin}: each <TAB> asks \`${bin} __complete\` what can come next.
${fn}() {
  local out directives entry
  local -a entries values display opts
  out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  entries=("\${(@f)out}")
  directives=" \${entries[1]} "
  for entry in "\${(@)entries[2,-1]}"; do
    [[ -z $entry ]] && continue
    values+=("\${entry%%$'\\t'*}")
    if [[ $entry == *$'\\t'* ]]; then display+=("\${entry%%$'\\t'*}  -- \${entry#*$'\\t'}"); else display+=("\${entry}"); fi
  done
  [[ $directives == *" nospace "* ]] && opts+=(-S '')
  if [[ $directives == *" nosort "* ]]; then opts+=(-V values); else opts+=(-J values); fi
  local ret=1
  if (( \${#values} )); then
    compadd "\${opts[@]}" -l -d display -- "\${values[@]}" && ret=0
  fi
  if [[ $directives == *" files "* || $directives == *" dirs "* ]]; then
    [[ $PREFIX == *=* ]] && compset -P '*='
    if [[ $directives == *" dirs "* ]]; then _files -/ && ret=0; else _files && ret=0; fi
  fi
  return ret
}

# Autoloaded from $fpath this file is the function's body: run it. Sourced, register it.
if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${bin}
fi
`
}

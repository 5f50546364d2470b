# bash completion for steerctl (installed to share/bash-completion/completions/steerctl)
_steerctl() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
  local globals="--socket --address --ca --cert --key --insecure -o --output --help"
  case "$prev" in
    -o|--output) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
    --socket|--ca|--cert|--key|-f|--file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local cmd="" sub="" w
  for w in "${words[@]:1:cword-1}"; do
    case "$w" in
      ports|rss|flow|stats|events|reports|apply|get|diff|save|log|top) [ -z "$cmd" ] && cmd=$w && continue ;;
    esac
    [ -n "$cmd" ] && [ -z "$sub" ] && [[ "$w" != -* ]] && sub=$w
  done
  case "$cmd" in
    "") COMPREPLY=($(compgen -W "ports rss flow stats events reports apply get diff save log top $globals" -- "$cur")) ;;
    rss) [ -z "$sub" ] && COMPREPLY=($(compgen -W "show set-reta set-key" -- "$cur")) ||
           COMPREPLY=($(compgen -W "--spread --weights --entries --size --types --expect-generation" -- "$cur")) ;;
    flow) if [ -z "$sub" ]; then COMPREPLY=($(compgen -W "list add replace del load unload" -- "$cur"))
          elif [ "$sub" = load ] || [ "$sub" = unload ]; then COMPREPLY=($(compgen -W "--per-change --expect-generation" -- "$cur") $(compgen -f -- "$cur"))
          else COMPREPLY=($(compgen -W "--priority --eth-type --vlan --ipv4-src --ipv4-dst --ipv6-src --ipv6-dst --ip-proto --tcp-src --tcp-dst --udp-src --udp-dst --queue --rss --drop --mark --expect-generation" -- "$cur")); fi ;;
    stats) COMPREPLY=($(compgen -W "--watch --count" -- "$cur")) ;;
    events) COMPREPLY=($(compgen -W "--count" -- "$cur")) ;;
    top) COMPREPLY=($(compgen -W "--interval --count --no-clear" -- "$cur")) ;;
    apply) COMPREPLY=($(compgen -W "-f --file --dry-run" -- "$cur")) ;;
    get) COMPREPLY=($(compgen -W "running" -- "$cur")) ;;
    diff) COMPREPLY=($(compgen -W "-f --file --exit-code" -- "$cur")) ;;
    save) COMPREPLY=($(compgen -f -- "$cur")) ;;
    log) [ "$prev" = --dpdk ] && COMPREPLY=($(compgen -W "emergency alert critical error warning notice info debug" -- "$cur")) ||
           COMPREPLY=($(compgen -W "trace debug info warn error critical off --dpdk" -- "$cur")) ;;
  esac
}
complete -F _steerctl steerctl

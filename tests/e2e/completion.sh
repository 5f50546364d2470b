#!/usr/bin/env bash
# steerctl's bash completion offers the commands, subcommands and flags.
set -euo pipefail
source "${1:?usage: $0 steerctl.bash}"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _steerctl; echo "${COMPREPLY[*]}"; }
[ "$(complete_words steerctl rss se)" = "set-reta set-key" ] || { echo "FAIL rss se"; exit 1; }
[ "$(complete_words steerctl fl)" = "flow" ] || { echo "FAIL fl"; exit 1; }
[[ " $(complete_words steerctl flow add p0 web --ud) " == *" --udp-dst "* ]] || { echo "FAIL --ud"; exit 1; }
[ "$(complete_words steerctl flow lo)" = "load" ] || { echo "FAIL flow lo"; exit 1; }
[[ " $(complete_words steerctl flow load p0 rules.yaml --per) " == *" --per-change "* ]] || { echo "FAIL --per"; exit 1; }
[ "$(complete_words steerctl flow un)" = "unload" ] || { echo "FAIL flow un"; exit 1; }
[[ " $(complete_words steerctl flow unload p0 rules.yaml --exp) " == *" --expect-generation "* ]] || { echo "FAIL unload --exp"; exit 1; }
[ "$(complete_words steerctl -o j)" = "json" ] || { echo "FAIL -o"; exit 1; }
[ "$(complete_words steerctl get r)" = "running" ] || { echo "FAIL get"; exit 1; }
[ "$(complete_words steerctl log --dpdk no)" = "notice" ] || { echo "FAIL log --dpdk"; exit 1; }
echo "PASS completion"

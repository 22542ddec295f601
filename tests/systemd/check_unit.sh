#!/usr/bin/env bash
# Checks systemd/assayd.service the way systemd itself would:
#   security: `systemd-analyze security --offline=true` exposure <= 1.5;
#   verify:   `systemd-analyze verify` prints nothing (it exits 0 even on a
#             misspelt option, so any output is a failure), run against a
#             prepared root holding the system's units and the built binary.
# Usage: check_unit.sh security|verify UNIT ASSAYD
set -euo pipefail
mode=$1 unit=$2 assayd=$3
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }

case $mode in
  security)
    out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
    exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [ -n "$exposure" ] || { printf '%s\n' "$out"; echo "FAIL: no exposure level in the output"; exit 1; }
    echo "exposure: $exposure (limit 1.5)"
    awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }' || { printf '%s\n' "$out" | grep -v '✓'; exit 1; }
    ;;
  verify)
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/usr/bin" "$root/bin" "$root/usr/lib/systemd" "$root/etc/systemd/system"
    cp -r /lib/systemd/system "$root/usr/lib/systemd/"
    cp "$assayd" "$root/usr/bin/assayd"
    cp "$(type -P kill)" "$root/bin/kill"
    cp "$unit" "$root/etc/systemd/system/"
    out=$(systemd-analyze verify --root="$root" "$(basename "$unit")" 2>&1 || true)
    if [ -n "$out" ]; then printf '%s\n' "$out"; echo "FAIL: systemd-analyze verify printed the above"; exit 1; fi
    echo "verify: no output"
    ;;
  *) echo "usage: $0 security|verify UNIT ASSAYD" >&2; exit 2 ;;
esac

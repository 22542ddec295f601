#!/usr/bin/env bash
# Builds the .deb from this build tree with CPack and checks what it holds:
# binaries, unit, conffile, rule pack, man pages, completion, maintainer
# scripts and control fields. Then the man pages render without warnings
# and the completion completes.
#   deb_test.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$bin/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/assay_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || fail "no .deb in $work"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/assayd ./usr/bin/assay ./usr/lib/systemd/system/assayd.service \
            ./etc/assay/assay.yaml ./usr/share/assay/rules/critical-minerals.yaml \
            ./usr/share/assay/rules/entities-minerals.yaml ./usr/share/man/man1/assay.1 \
            ./usr/share/man/man8/assayd.8 ./usr/share/man/man5/assay.yaml.5 \
            ./usr/share/bash-completion/completions/assay ./usr/share/doc/assay/README.md; do
  grep -qx -- "$path" <<<"$contents" || fail "$path missing from $(basename "$deb")"
done
grep -q '^\./usr/local' <<<"$contents" && fail "files under /usr/local"

[[ $(dpkg-deb -f "$deb" Package) == assay ]] || fail "Package field"
dpkg-deb -f "$deb" Depends | grep -q systemd || fail "Depends lacks systemd"
dpkg-deb -f "$deb" Depends | grep -q libre2 || fail "Depends lacks libre2 (shlibdeps)"
dpkg-deb -f "$deb" Depends | grep -q libcurl || fail "Depends lacks libcurl (shlibdeps)"
dpkg-deb -e "$deb" "$work/control"
for f in postinst prerm postrm conffiles; do [[ -f $work/control/$f ]] || fail "control/$f missing"; done
grep -qx /etc/assay/assay.yaml "$work/control/conffiles" || fail "assay.yaml is not a conffile"
[[ -x $work/control/postinst ]] || fail "postinst not executable"

# Man pages: no groff warnings.
for page in "$src/man/assay.1" "$src/man/assayd.8" "$src/man/assay.yaml.5"; do
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed on $page"
  [[ -z $out ]] || fail "groff warnings on $page: $out"
done

# Completion: subcommands, then a subcommand's options and values.
complete_line() {
  bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"
    shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _assay assay "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$src/cli/completion/assay.bash" "$@"
}
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  complete_line assay ev | grep -qx events || fail "completion: assay ev"
  complete_line assay events --fol | grep -qx -- --follow || fail "completion: events --fol"
  complete_line assay events --format "" | grep -qx csv || fail "completion: --format"
  complete_line assay db v | grep -qx verify || fail "completion: db v"
else
  echo "bash-completion not installed: completion not checked"
fi
echo "ok: $(basename "$deb") ($(dpkg-deb -c "$deb" | wc -l) entries)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gefs(5): renders without groff warnings; every "gefs(5) §N[.M]" (and quirk
# "§24 #N") cited by the man pages, README and sources names a section that
# the page has; every key, message and log-entry name gefs-dump prints is
# described there.
set -euo pipefail
src=${GEFS_SRC:?}
page=$src/man/gefs.5
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gefs-man5.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if command -v groff > /dev/null; then
	groff -man -Tutf8 -ww -z "$page" > "$tmp/warn" 2>&1 || bad "groff failed"
	[ ! -s "$tmp/warn" ] || bad "groff warnings: $(cat "$tmp/warn")"
else
	echo "groff not installed: rendering not checked"
fi

# sections the page has: .SH "N. ..." and .SS "N.M ..."
sed -n 's/^\.S[HS] "\([0-9][0-9.]*\)[ .].*/\1/p' "$page" | sed 's/\.$//' | sort -u > "$tmp/have"
[ "$(wc -l < "$tmp/have")" -ge 80 ] || bad "only $(wc -l < "$tmp/have") numbered sections"
quirks=$(sed -n '/^\.SH "24\./,/^\.SH "25\./p' "$page" | grep -c '^#[0-9]' || true)
[ "$quirks" = 26 ] || bad "section 24 lists $quirks quirks, not 26"

# every citation, in the page itself and outside it
(cd "$src" && grep -rhoE 'gefs\(5\) *(\\\(sc|§) *[0-9]+(\.[0-9]+)?( #[0-9]+)?' \
	man README cmd libfs docs 2>/dev/null || true) > "$tmp/cites"
grep -oE '\\\(sc[0-9]+(\.[0-9]+)?' "$page" >> "$tmp/cites" || true
n=0
while IFS= read -r c; do
	n=$((n + 1))
	s=$(printf '%s\n' "$c" | sed -E 's/.*(\\\(sc|§) *([0-9]+(\.[0-9]+)?).*/\2/')
	grep -qx "$s" "$tmp/have" || bad "citation '$c': no section $s in gefs(5)"
	q=$(printf '%s\n' "$c" | sed -nE 's/.* #([0-9]+)$/\1/p')
	if [ -n "$q" ] && { [ "$s" != 24 ] || [ "$q" -gt "$quirks" ]; }; then
		bad "citation '$c': no quirk #$q"
	fi
done < "$tmp/cites"
[ $n -ge 40 ] || bad "only $n citations found"

# the names gefs-dump prints, from the name tables of its renderers (cmd/common)
for f in rfmt.c rarenas.c; do
	sed -n '/^static const char \*[a-z]*\[\] = {/,/^};/p' "$src/cmd/common/$f" | grep -oE '"[A-Za-z0-9]+"' | tr -d '"'
done | grep -vx 'Onop\|LogNop' > "$tmp/names"
[ "$(wc -l < "$tmp/names")" -ge 20 ] || bad "name tables of gefs-dump not found"
while IFS= read -r w; do
	grep -qw -- "$w" "$page" || bad "gefs(5) does not describe $w"
done < "$tmp/names"
for w in nlbl nref qgen nextgen nextqid narena sbhash loghd logsz logh Lmut; do
	grep -qw -- "$w" "$page" || bad "gefs(5) does not describe $w"
done
[ $fail = 0 ] && echo "man5: $(wc -l < "$tmp/have") sections, $n citations, $(wc -l < "$tmp/names") names ok"
exit $fail

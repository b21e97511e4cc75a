#!/bin/sh
# Downloads Debian source packages with `apt-get source --download-only`
# through a private deb-src list, without changing anything system-wide:
# the list is made from the system's own apt sources (same archives,
# suites and components, Types deb-src), and apt's lists, cache and source
# list all live under DIR. apt checks every file it downloads against the
# signed index, as for any install.
# Usage: debian-source.sh DIR [--tar-only] PACKAGE...
#   files land in DIR; DIR/apt holds the private state
set -e
dir=${1:?usage: debian-source.sh DIR [--tar-only] PACKAGE...}
shift
apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"

# The system's entries of type deb, as deb-src: one-line lists and deb822
# .sources files alike. Files apt itself ignores (other suffixes) stay out.
: > "$apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$apt/sources.list"
done
rm -f "$apt/parts/"*.sources
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk 'BEGIN { RS = ""; ORS = "\n\n" }
       /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
         sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' \
    "$f" > "$apt/parts/$(basename "$f")"
done

abs=$(cd "$apt" && pwd)
sandbox=
# as root, apt downloads as _apt, which cannot write into a private tree
[ "$(id -u)" -eq 0 ] && sandbox="-o APT::Sandbox::User=root"
papt() {
  # shellcheck disable=SC2086
  apt-get -qq -o Dir::Etc::sourcelist="$abs/sources.list" \
    -o Dir::Etc::sourceparts="$abs/parts" -o Dir::State::Lists="$abs/lists" \
    -o Dir::Cache="$abs/cache" $sandbox "$@"
}
papt update
# apt-get source writes into the current directory
(cd "$dir" && papt --download-only source "$@") >/dev/null

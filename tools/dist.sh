#!/bin/sh
# make dist: the release files in build/dist, made from HEAD (a release is
# a commit): the source tarball from `git archive`, and the .src.rock that
# `luarocks pack` makes of the versioned rockspec and that tarball. Offline:
# pack fetches the rockspec's source.url, so it packs a copy whose url is
# the local tarball, then puts the published rockspec back into the rock.
# `dist.sh --windows` (make winrock) writes only the binary rock for 64-bit
# Windows, <name>-1.win32-x86_64.rock (tools/winrock.lua): HEAD's files and
# the DLLs of the mingw-w64 build MINGW_BUILD names; it goes into place
# whole, as make ci's other lane may be reading build/dist meanwhile.
set -e
cd "$(dirname "$0")/.."
v=$(git show HEAD:VERSION)
out=${DIST:-build/dist}
name=customaction-$v
rockspec=rockspec/$name-1.rockspec
[ -f "$rockspec" ] || { echo "dist: no $rockspec (run tools/version-sync.sh)" >&2; exit 1; }
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  echo "dist: the tree has uncommitted changes; the release files hold HEAD" >&2
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$1" = --windows ]; then
  [ -d "${MINGW_BUILD:-}" ] || { echo "dist: MINGW_BUILD names no mingw-w64 build" >&2; exit 1; }
  git archive --prefix="$name/" HEAD | tar -x -C "$work"
  git show "HEAD:$rockspec" > "$work/$name-1.rockspec"
  rock=$name-1.win32-x86_64.rock
  lua5.4 tools/winrock.lua "$work/$name-1.rockspec" "$work/$name" "$MINGW_BUILD" "$work/$rock"
  mv "$work/$rock" "$out/$rock.$$" && mv "$out/$rock.$$" "$out/$rock"
  echo "dist: $out/$rock"
  exit 0
fi
git archive --format=tar.gz --prefix="$name/" -o "$out/$name.tar.gz" HEAD
git show "HEAD:$rockspec" |
  sed "s|^  url = \".*\",\$|  url = \"file://$out/$name.tar.gz\",|" > "$work/$name-1.rockspec"
(cd "$work" && luarocks pack "$work/$name-1.rockspec" >/dev/null)
git show "HEAD:$rockspec" > "$work/$name-1.rockspec"
(cd "$work" && zip -q "$name-1.src.rock" "$name-1.rockspec")
mv "$work/$name-1.src.rock" "$out/"
echo "dist: $out/$name.tar.gz"
echo "dist: $out/$name-1.src.rock"

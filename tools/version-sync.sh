#!/bin/sh
# VERSION is the one version source. This script writes every copy of it:
# the C module's string (src/core/version.h), the versioned rockspec
# (rockspec/customaction-<version>-1.rockspec, made from scm-1 with a
# release tarball as its source), and the versions the Markdown docs show.
# CHANGELOG.md's sections are written by hand. tools/version-check.sh
# checks that nothing disagrees.
# Usage: tools/version-sync.sh             rewrite the copies
#        tools/version-sync.sh --rockspec  print the versioned rockspec
set -e
cd "$(dirname "$0")/.."
v=$(cat VERSION)
case $v in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "VERSION: expected MAJOR.MINOR.PATCH, found '$v'" >&2; exit 1 ;;
esac

rockspec() {
  sed -e "s/^version = \"scm-1\"/version = \"$v-1\"/" \
      -e "s|^  url = \"git+https://customaction.invalid/customaction.git\",|  url = \"https://customaction.invalid/releases/customaction-$v.tar.gz\",\\
  dir = \"customaction-$v\",|" rockspec/customaction-scm-1.rockspec
}
if [ "$1" = "--rockspec" ]; then rockspec; exit 0; fi

sed -i "s/^#define CA_VERSION \".*\"/#define CA_VERSION \"$v\"/" src/core/version.h
for f in rockspec/customaction-*-1.rockspec; do
  case $f in */customaction-scm-1.rockspec|*/customaction-$v-1.rockspec) ;; *) git rm -q "$f" ;; esac
done
rockspec > "rockspec/customaction-$v-1.rockspec"
sed -i -E "s/customaction([- ])[0-9]+\.[0-9]+\.[0-9]+/customaction\1$v/g" README.md docs/*.md
grep -q "^## \[$v\]" CHANGELOG.md || echo "CHANGELOG.md has no section for $v yet" >&2

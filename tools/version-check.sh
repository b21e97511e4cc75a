#!/bin/sh
# TAP: VERSION is the one version source, and every copy agrees with it:
# the C module's string, the versioned rockspec (scm-1 with a release
# source, nothing else changed), CHANGELOG.md's newest release, and every
# version the Markdown docs show. When one disagrees,
# tools/version-sync.sh rewrites the copies.
cd "$(dirname "$0")/.." || exit 1
n=0 status=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  n=$((n + 1))
  if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
    echo "not ok $n - $1"; echo "#   expected: $2"; echo "#   found:    $3"; status=1
  fi
}
echo "1..6"
v=$(cat VERSION 2>/dev/null)
check "VERSION holds MAJOR.MINOR.PATCH" "$v" "$(echo "$v" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$')"
check "the C module's version string is VERSION" "$v" \
  "$(sed -n 's/^#define CA_VERSION "\(.*\)"$/\1/p' src/core/version.h)"
check "the rockspecs are scm-1 and $v-1" \
  "rockspec/customaction-$v-1.rockspec rockspec/customaction-scm-1.rockspec" \
  "$(ls rockspec/customaction-*.rockspec | sort | tr '\n' ' ' | sed 's/ $//')"
expected=$(sh tools/version-sync.sh --rockspec | cksum)
found=$(cksum < "rockspec/customaction-$v-1.rockspec" 2>/dev/null)
if [ "$expected" != "$found" ]; then
  sh tools/version-sync.sh --rockspec | diff - "rockspec/customaction-$v-1.rockspec" | sed 's/^/# /' | head -20
fi
check "the versioned rockspec is scm-1 with version $v-1 and the release tarball as source" \
  "$expected" "$found"
check "CHANGELOG.md's newest release is $v" "$v" \
  "$(sed -n 's/^## \[\([0-9][^]]*\)\].*/\1/p' CHANGELOG.md 2>/dev/null | head -1)"
shown=$(grep -ohE 'customaction[- ][0-9]+\.[0-9]+\.[0-9]+' README.md docs/*.md |
  sed -E 's/^customaction[- ]//' | sort -u | tr '\n' ' ' | sed 's/ $//')
check "the versions README.md and docs/*.md show are $v" "$v" "$shown"
[ $status -eq 0 ] || echo "# tools/version-sync.sh rewrites the copies from VERSION"
exit $status

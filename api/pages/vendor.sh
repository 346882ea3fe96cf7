#!/usr/bin/env bash
# Re-fetch the Swagger UI files /docs/ serves, from the npm registry, and check them.
# The pinned version and the sha256 of each committed file are below; a mismatch fails.
set -euo pipefail
cd "$(dirname "$0")"

VERSION="5.35.0"
TARGET="static/vendor"
declare -A SHA256=(
  [swagger-ui-bundle.js]="e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"
  [swagger-ui.css]="5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"
  [LICENSE]="cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
  [NOTICE]="0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tar -xzf "$work/swagger-ui-dist-$VERSION.tgz" -C "$work"

mkdir -p "$TARGET"
for name in "${!SHA256[@]}"; do
  echo "${SHA256[$name]}  $work/package/$name" | sha256sum --check --quiet -
  cp "$work/package/$name" "$TARGET/$name"
done
echo "swagger-ui-dist $VERSION: ${!SHA256[*]} verified into $TARGET"

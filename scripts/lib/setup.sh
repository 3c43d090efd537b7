# Shared by scripts/demo.sh and scripts/test.sh: make sure what Tessera needs is present, installing
# it when we can (root on Debian) and otherwise stopping with the one command the user must run.
# Every step says what it does.

say() { printf '\033[1m[tessera]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[tessera]\033[0m %s\n' "$*" >&2; exit 1; }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  if ! can_install; then
    die "missing: $*. Install it with: sudo apt-get install -y $*   (then run this again)"
  fi
  say "installing $* from the Debian archive"
  if [ -z "${TESSERA_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    export TESSERA_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

ensure_node() {
  command -v node >/dev/null 2>&1 || die "Node.js 20.19+ is required: https://nodejs.org (or: apt-get install -y nodejs from NodeSource)"
  local major minor
  major=$(node -p 'process.versions.node.split(".")[0]')
  minor=$(node -p 'process.versions.node.split(".")[1]')
  if [ "$major" -lt 20 ] || { [ "$major" = 20 ] && [ "$minor" -lt 19 ]; }; then
    die "Node.js $(node -v) is too old: Tessera needs 20.19 or newer"
  fi
}

# npm ci when node_modules is missing or older than the lock file.
ensure_node_deps() {
  ensure_node
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund >/dev/null
  fi
}

docker_ok() { docker info >/dev/null 2>&1; }

ensure_docker() {
  if docker_ok; then return; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io
  fi
  if docker_ok; then return; fi
  if [ "$(id -u)" != 0 ]; then
    die "the Docker engine is not reachable. Start it (sudo systemctl start docker) and make sure you may use it (sudo usermod -aG docker \$USER, then log in again)"
  fi
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "starting the Docker engine (systemctl start docker)"
    systemctl start docker || true
  fi
  if ! docker_ok; then
    say "starting the Docker engine in the background (dockerd, log: /var/log/tessera-dockerd.log)"
    (nohup dockerd >/var/log/tessera-dockerd.log 2>&1 &)
  fi
  for _ in $(seq 1 60); do
    docker_ok && return
    sleep 0.5
  done
  tail -5 /var/log/tessera-dockerd.log >&2 2>/dev/null || true
  die "the Docker engine did not start; see /var/log/tessera-dockerd.log"
}

# The dashboard's browser tests drive Debian's Chromium through playwright-core: browsers cannot be
# downloaded here, so Playwright's own builds are never used. TESSERA_CHROMIUM names another binary.
ensure_chromium() {
  local chromium="${TESSERA_CHROMIUM:-/usr/bin/chromium}"
  [ -x "$chromium" ] && return
  [ -n "${TESSERA_CHROMIUM:-}" ] && die "TESSERA_CHROMIUM=$chromium is not an executable"
  apt_install chromium
  [ -x "$chromium" ] || die "chromium installed, but $chromium is missing"
}

ensure_images() {
  say "building the local images (base image by debootstrap when no registry can be reached; cached after the first run)"
  docker/build-images.sh
}

redis_ok() { node -e '
  const s = require("net").connect(+process.argv[2], process.argv[1]);
  s.setTimeout(2000, () => process.exit(1));
  s.on("error", () => process.exit(1));
  s.on("connect", () => s.write("PING\r\n"));
  s.on("data", (d) => process.exit(String(d).startsWith("+PONG") ? 0 : 1));' "$1" "$2" 2>/dev/null; }

# Tests of several coordinator replicas use Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379).
ensure_test_redis() {
  export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
  local hostport="${TEST_REDIS_URL#redis://}"
  hostport="${hostport%%/*}"
  local host="${hostport%:*}" port="${hostport##*:}"
  redis_ok "$host" "$port" && return
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "starting Redis on $host:$port for the tests (no persistence)"
  redis-server --daemonize yes --bind "$host" --port "$port" --save '' --appendonly no >/dev/null
  for _ in $(seq 1 20); do
    redis_ok "$host" "$port" && return
    sleep 0.25
  done
  die "Redis did not come up on $host:$port"
}

pg_trust_ok() { PGCONNECT_TIMEOUT=3 psql -w "$1" -qAtc 'select 1' >/dev/null 2>&1; }

# Tests use TEST_DATABASE_URL (default: the machine's PostgreSQL on 127.0.0.1:5432 as user postgres,
# trust auth). Without one, a private cluster with trust auth is created on port 54329, leaving any
# other PostgreSQL on the machine untouched.
ensure_test_postgres() {
  local url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  if pg_trust_ok "$url"; then export TEST_DATABASE_URL="$url"; return; fi
  url="postgres://postgres@127.0.0.1:54329/postgres"
  if pg_trust_ok "$url"; then export TEST_DATABASE_URL="$url"; return; fi
  command -v pg_createcluster >/dev/null 2>&1 || apt_install postgresql
  local version
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx tessera; then
    say "creating a PostgreSQL $version cluster for the tests (port 54329, trust auth on loopback)"
    pg_createcluster "$version" tessera -p 54329 -- --auth=trust >/dev/null
  fi
  say "starting the tests' PostgreSQL cluster"
  pg_ctlcluster --skip-systemctl-redirect "$version" tessera start 2>/dev/null || pg_ctlcluster "$version" tessera start
  for _ in $(seq 1 30); do
    pg_trust_ok "$url" && { export TEST_DATABASE_URL="$url"; return; }
    sleep 0.5
  done
  die "PostgreSQL did not come up on 127.0.0.1:54329"
}

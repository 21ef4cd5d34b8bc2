#!/usr/bin/env bash
# tools/backup/lib.sh: sourced by the scripts in tools/backup (never run on its own).
#
# What every backup-kit script shares:
#   - messages: `say` (progress, on stderr), `die` (one line `<script>: error: <what>`, exit 1),
#     `usage_error` (the script's usage, exit 2);
#   - secrets: `secret NAME` reads $NAME, or the file named by $NAME_FILE; secrets are handed to
#     programs through the environment or standard input, never as arguments (ps shows arguments);
#   - a work directory ($work) removed on exit;
#   - `strata`: the binary from $STRATA_BIN, else `strata` on PATH; the bucket, endpoint, keys and
#     policies come from its usual environment (STRATA_BUCKET, AWS_*, STRATA_POLICIES);
#   - HTTP: `http_fetch` (curl, fails on any non-2xx, optional secret header fed on stdin);
#   - metrics: `task_begin TASK [COMPONENT]` arranges for a Prometheus textfile
#     ($STRATA_METRICS_DIR/strata-task-TASK[-COMPONENT].prom) and/or a push to a Pushgateway
#     ($STRATA_PUSHGATEWAY_URL, group job=strata/task=TASK[/component=COMPONENT]) when the
#     script exits: strata_task_success, strata_task_last_run_timestamp_seconds and
#     strata_task_duration_seconds, labelled {task, component}.
set -euo pipefail

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "lib.sh: this file is sourced by the tools/backup scripts, not run" >&2
  exit 2
fi

PROG=${PROG:-$(basename "$0")}
# shellcheck disable=SC2034  # used by the scripts that source this file
BACKUP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STRATA=${STRATA_BIN:-strata}

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# usage_error [MESSAGE]: prints the message and the script's $USAGE, exits 2.
usage_error() {
  [ $# -gt 0 ] && printf '%s: error: %s\n' "$PROG" "$*" >&2
  printf '%s\n' "$USAGE" >&2
  exit 2
}

# need_cmd CMD...: dies naming the first command not on PATH.
need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed (needed by $PROG)"
  done
}

# need_strata: the strata binary and a bucket to talk to.
need_strata() {
  command -v "$STRATA" >/dev/null 2>&1 || [ -x "$STRATA" ] \
    || die "strata not found: put it on PATH or set STRATA_BIN"
  [ -n "${STRATA_BUCKET:-}" ] || [ -f strata.yaml ] \
    || die "no bucket: set STRATA_BUCKET (or run where a strata.yaml names one)"
}

# secret NAME [optional]: the value of $NAME, else the contents of the file $NAME_FILE (one
# trailing newline removed). Dies when neither is set, unless a second argument says optional.
secret() {
  local name=$1 file_var="${1}_FILE"
  if [ -n "${!name:-}" ]; then
    printf '%s' "${!name}"
  elif [ -n "${!file_var:-}" ]; then
    [ -r "${!file_var}" ] || die "$file_var names '${!file_var}', which cannot be read"
    local value
    value=$(<"${!file_var}")
    printf '%s' "$value"
  elif [ $# -lt 2 ]; then
    die "$name is not set (set $name, or $file_var to a file holding it)"
  fi
}

# utc_iso EPOCH: 2026-11-25T02:00:00Z
utc_iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# Work directory, removed when the script exits.
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-${PROG}.XXXXXX")

# http_fetch METHOD URL OUTFILE [HEADER_NAME SECRET_VALUE]: one HTTP request with curl. The
# response body goes to OUTFILE ('-' for stdout). A secret header is written to curl's config on
# standard input, so the token never appears in the process list. Fails (with the server's
# status and the start of its answer) on a connection error or any non-2xx status.
http_fetch() {
  local method=$1 url=$2 out=$3 header_name=${4:-} header_value=${5:-}
  local body="$work/http-body.$$" status
  local config=""
  if [ -n "$header_name" ]; then
    # curl's config syntax: double quotes, backslash and quote escaped.
    local escaped=${header_value//\\/\\\\}
    escaped=${escaped//\"/\\\"}
    config="header = \"$header_name: $escaped\""
  fi
  status=$(printf '%s\n' "$config" | curl --config - --silent --show-error --location \
    --connect-timeout "${HTTP_CONNECT_TIMEOUT:-10}" --max-time "${HTTP_MAX_TIME:-3600}" \
    --retry 2 --retry-connrefused \
    --request "$method" --output "$body" --write-out '%{http_code}' -- "$url") \
    || { rm -f "$body"; die "$method $url: request failed (see curl's message above)"; }
  case "$status" in
    2??) ;;
    *) local said
       said=$(head -c 300 "$body" 2>/dev/null | tr -d '\r' | tr '\n' ' ' || true)
       rm -f "$body"
       die "$method $url: HTTP $status${said:+: $said}" ;;
  esac
  deliver_body "$body" "$out"
}

# deliver_body TMPFILE OUT: moves a fetched body to OUT ('-' for stdout). Regular files are
# replaced by rename; anything else (/dev/null, a pipe) is written into, never replaced: mv onto
# /dev/null as root would turn it into a regular file.
deliver_body() {
  local body=$1 out=$2
  if [ "$out" = - ]; then cat "$body"; rm -f "$body"
  elif [ -e "$out" ] && [ ! -f "$out" ]; then cat "$body" >"$out"; rm -f "$body"
  else mv "$body" "$out"; fi
}

# json_get FILE PYTHON_EXPRESSION: evaluates the expression on the parsed JSON document `d`
# and prints the result (strings as is, everything else as JSON). Dies when the path is missing.
json_get() {
  python3 - "$1" "$2" <<'PY' || die "unexpected JSON in $1 (wanted $2)"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
v = eval(sys.argv[2], {"__builtins__": {}}, {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# strata_upload COMPONENT TIME [SERIES] FILE...: `strata upload` with the backup's own time.
strata_upload() {
  local component=$1 time=$2 series=$3
  shift 3
  local args=(upload --component "$component" --time "$time")
  [ -n "$series" ] && args+=(--series "$series")
  "$STRATA" "${args[@]}" "$@" || die "strata upload of $component${series:+ ($series)} failed"
}

# --- metrics ---------------------------------------------------------------------------------
_task=""
_task_component=""
_task_started=0
declare -A _task_results=()

# task_begin TASK [COMPONENT]: report this run's outcome as metrics when the script exits: for
# COMPONENT, the script's exit status; for a task over several components, what task_result
# recorded for each (or, if nothing was recorded, the exit status as component "all").
task_begin() {
  _task=$1
  _task_component=${2:-}
  _task_started=$(date +%s)
}

# task_result COMPONENT STATUS: the outcome (0 = success) for one component of a task.
task_result() { _task_results[$1]=$2; }

_write_metrics() {
  local file=$1 now c
  now=$(date +%s)
  {
    echo "# HELP strata_task_success 1 when the last run of this backup-kit task succeeded, 0 when it failed."
    echo "# TYPE strata_task_success gauge"
    for c in "${!_task_results[@]}"; do
      echo "strata_task_success{task=\"$_task\",component=\"$c\"} $([ "${_task_results[$c]}" = 0 ] && echo 1 || echo 0)"
    done
    echo "# HELP strata_task_last_run_timestamp_seconds When the task last finished (successfully or not)."
    echo "# TYPE strata_task_last_run_timestamp_seconds gauge"
    for c in "${!_task_results[@]}"; do
      echo "strata_task_last_run_timestamp_seconds{task=\"$_task\",component=\"$c\"} $now"
    done
    echo "# HELP strata_task_duration_seconds How long the task's last run took."
    echo "# TYPE strata_task_duration_seconds gauge"
    for c in "${!_task_results[@]}"; do
      echo "strata_task_duration_seconds{task=\"$_task\",component=\"$c\"} $((now - _task_started))"
    done
  } >"$file"
}

_on_exit() {
  local status=$?
  set +e
  if [ -n "$_task" ]; then
    if [ -n "$_task_component" ]; then
      _task_results[$_task_component]=$status
    elif [ ${#_task_results[@]} = 0 ]; then
      _task_results[all]=$status
    fi
    local name="$_task${_task_component:+-$_task_component}"
    local file="$work/metrics.prom" failed=0
    _write_metrics "$file"
    if [ -n "${STRATA_METRICS_DIR:-}" ]; then
      local target="$STRATA_METRICS_DIR/strata-task-$name.prom"
      if cp "$file" "$target.tmp.$$" && mv -f "$target.tmp.$$" "$target"; then :; else
        printf '%s: error: cannot write metrics to %s\n' "$PROG" "$target" >&2
        rm -f "$target.tmp.$$"
        failed=1
      fi
    fi
    if [ -n "${STRATA_PUSHGATEWAY_URL:-}" ]; then
      local url="${STRATA_PUSHGATEWAY_URL%/}/metrics/job/strata/task/$_task${_task_component:+/component/$_task_component}"
      if ! curl --silent --show-error --fail --max-time 30 --request PUT --data-binary "@$file" -- "$url" >/dev/null; then
        printf '%s: error: cannot push metrics to %s\n' "$PROG" "$url" >&2
        failed=1
      fi
    fi
    [ "$status" = 0 ] && [ $failed = 1 ] && status=1
  fi
  rm -rf "$work"
  exit "$status"
}
trap _on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

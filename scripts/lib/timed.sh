# Sourced by .ci/run and scripts/test-node24.sh: how long each step took, printed as it ends and
# again together by `print_timings`.
TIMINGS=()

# record_timing LABEL START_SECONDS [STATUS]
record_timing() {
  local took=$((SECONDS - $2)) line
  line=$(printf '%-44s %3dm%02ds' "$1" $((took / 60)) $((took % 60)))
  [ "${3:-0}" -eq 0 ] || line+="  FAILED (exit $3)"
  TIMINGS+=("$line")
  echo "timing: $line"
}

# timed LABEL COMMAND... runs COMMAND and returns its status. Bash ignores `set -e` inside
# COMMAND when it is a function, so such functions check their own steps.
timed() {
  local label=$1 start=$SECONDS status=0
  shift
  "$@" || status=$?
  record_timing "$label" "$start" "$status"
  return "$status"
}

print_timings() {
  echo
  echo "=== durations ==="
  printf '%s\n' "${TIMINGS[@]}"
}

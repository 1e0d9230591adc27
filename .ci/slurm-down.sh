#!/usr/bin/env bash
# Stop the local SLURM cluster started by .ci/slurm-up.sh, strictly by the PID files it
# wrote (never by process name), in reverse start order. Daemons that are not running
# are skipped; each gets SIGTERM, then SIGKILL after a bounded wait.
set -euo pipefail

# shellcheck source=.ci/slurm-pids.sh
source "$(dirname "$0")/slurm-pids.sh"
STOP_TIMEOUT=${SLURM_CI_STOP_TIMEOUT:-30} # seconds, per daemon

t0=$SECONDS
say() { printf '[slurm-down %3ds] %s\n' "$((SECONDS - t0))" "$*"; }

[[ $(id -u) -eq 0 ]] || {
    say "ERROR: must run as root" >&2
    exit 1
}

stop() {
    local name=$1 pid deadline
    if ! pid=$(pid_of "$name"); then
        say "$name not running"
        rm -f "$RUN_DIR/$name.pid"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if [[ -e /proc/$pid ]]; then
        say "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do
            sleep 0.2
        done
    fi
    rm -f "$RUN_DIR/$name.pid"
    say "stopped $name (pid $pid)"
}

# Cancel leftover jobs first, so no job step outlives slurmd.
if pid_of slurmctld >/dev/null; then
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null || true)
    if [[ -n $jobs ]]; then
        say "cancelling jobs: $(tr '\n' ' ' <<<"$jobs")"
        # shellcheck disable=SC2086 # one argument per job id
        timeout 10 scancel $jobs || true
        deadline=$((SECONDS + 20))
        while [[ -n $(timeout 10 squeue -h -o %A 2>/dev/null || true) ]] && ((SECONDS < deadline)); do
            sleep 0.5
        done
    fi
fi

for name in slurmd slurmctld slurmdbd mariadbd munged; do
    stop "$name"
done
say "done"

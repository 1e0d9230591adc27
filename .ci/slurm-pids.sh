# shellcheck shell=bash
# Sourced by .ci/slurm-up.sh and .ci/slurm-down.sh: where the local SLURM's PID files live and
# how to read one safely.
RUN_DIR=${SLURM_CI_RUN:-/run/slurm-ci} # our PID files

# pid_of NAME: print the PID from $RUN_DIR/NAME.pid if it is a live process whose argv[0]
# is NAME (guards against a recycled PID); fail otherwise.
pid_of() {
    local name=$1 pidfile="$RUN_DIR/$1.pid" pid argv0
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)
    [[ $(basename -- "$argv0") == "$name" ]] || return 1
    echo "$pid"
}

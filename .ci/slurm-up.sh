#!/usr/bin/env bash
# Bring up a local single-node SLURM cluster with job accounting (munge, MariaDB,
# slurmdbd, slurmctld, slurmd) on Debian 12 as root, without systemd.
#
# Why: the workflow's SLURM profile is tested against a real scheduler, and CI machines
# start without one. Daemons run in the foreground under setsid so that their PIDs are
# exactly the ones recorded in $SLURM_CI_RUN; .ci/slurm-down.sh stops them by those files.
# Running this script twice is harmless: live daemons are left alone.
set -euo pipefail

CLUSTER=${SLURM_CI_CLUSTER:-localci}
PARTITION=${SLURM_CI_PARTITION:-debug}
# shellcheck source=.ci/slurm-pids.sh
source "$(dirname "$0")/slurm-pids.sh" # RUN_DIR, pid_of
LOG_DIR=${SLURM_CI_LOG:-/var/log/slurm-ci}
START_TIMEOUT=${SLURM_CI_START_TIMEOUT:-60} # seconds, per daemon
DEF_MEM_PER_CPU=1000                    # MB a job gets per CPU when it asks for nothing
MEM_RESERVE_MB=1024                     # kept back from slurmd -C so the node is never "low mem"
SLURM_CONF=/etc/slurm/slurm.conf
DBD_CONF=/etc/slurm/slurmdbd.conf
SOCKET=/run/mysqld/mysqld.sock

t0=$SECONDS
say() { printf '[slurm-up %3ds] %s\n' "$((SECONDS - t0))" "$*"; }
die() {
    say "ERROR: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"

# --- packages ---------------------------------------------------------------------------
need_install=0
for exe in munged mariadbd slurmdbd slurmctld slurmd sinfo sacct sbatch; do
    command -v "$exe" >/dev/null 2>&1 || need_install=1
done
if ((need_install)); then
    say "installing slurm-wlm munge slurmdbd mariadb-server (apt)"
    # Keep the packages' init scripts from starting daemons we then could not stop by PID.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -q >"/tmp/slurm-ci-apt.log" 2>&1 || {
        cat /tmp/slurm-ci-apt.log >&2
        die "apt-get update failed"
    }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurm-wlm munge slurmdbd mariadb-server >>"/tmp/slurm-ci-apt.log" 2>&1 || {
        tail -50 /tmp/slurm-ci-apt.log >&2
        die "apt-get install failed (log: /tmp/slurm-ci-apt.log)"
    }
    say "packages installed"
fi

# --- helpers ----------------------------------------------------------------------------
mkdir -p "$RUN_DIR" "$LOG_DIR"
chown slurm:slurm "$LOG_DIR"
chmod 755 "$LOG_DIR"

# pid_alive NAME: true if $RUN_DIR/NAME.pid names a live NAME process.
pid_alive() { pid_of "$1" >/dev/null; }

# wait_for DESCRIPTION COMMAND...: poll COMMAND until it succeeds, at most START_TIMEOUT s.
wait_for() {
    local desc=$1 deadline=$((SECONDS + START_TIMEOUT))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after ${START_TIMEOUT}s waiting for $desc"
        sleep 0.5
    done
}

# start NAME COMMAND...: run COMMAND (which must stay in the foreground) detached, record its PID.
start() {
    local name=$1
    shift
    if pid_alive "$name"; then
        say "$name already running (pid $(<"$RUN_DIR/$name.pid"))"
        return 0
    fi
    setsid "$@" >>"$LOG_DIR/$name.out" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$name.pid"
    say "started $name (pid $!, output $LOG_DIR/$name.out)"
}

# write_if_changed PATH MODE OWNER: write stdin to PATH atomically unless identical;
# sets CHANGED=1 when it wrote.
CHANGED=0
write_if_changed() {
    local path=$1 mode=$2 owner=$3 tmp
    tmp=$(mktemp "$path.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    chown "$owner" "$tmp"
    if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
    else
        mv -f "$tmp" "$path"
        CHANGED=1
        say "wrote $path"
    fi
}

# --- munge ------------------------------------------------------------------------------
install -d -o munge -g munge -m 755 /run/munge
install -d -o munge -g munge -m 700 /etc/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    say "created munge key"
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
munge_ok() { munge -n </dev/null | unmunge; }
if munge_ok >/dev/null 2>&1 && ! pid_alive munged; then
    say "a munged not started by this script answers; using it"
else
    start munged setpriv --reuid=munge --regid=munge --init-groups munged --foreground
    wait_for "munged" munge_ok
fi

# --- MariaDB ----------------------------------------------------------------------------
install -d -o mysql -g root -m 755 /run/mysqld
if [[ ! -d /var/lib/mysql/mysql ]]; then
    say "initialising MariaDB data directory"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql \
        --auth-root-authentication-method=socket >>"$LOG_DIR/mariadbd.out" 2>&1
fi
db_ok() { mariadb-admin --socket="$SOCKET" ping; }
if db_ok >/dev/null 2>&1 && ! pid_alive mariadbd; then
    say "a MariaDB not started by this script answers; using it"
else
    # No TCP listener: slurmdbd reaches the database through the Unix socket.
    start mariadbd mariadbd --user=mysql --skip-networking --socket="$SOCKET" \
        --pid-file=/run/mysqld/mysqld.pid
    wait_for "MariaDB" db_ok
fi

# --- slurmdbd ---------------------------------------------------------------------------
db_pass=""
if [[ -f $DBD_CONF ]]; then
    db_pass=$(sed -n 's/^StoragePass=//p' "$DBD_CONF")
fi
if [[ -z $db_pass ]]; then
    db_pass=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
fi
mariadb --socket="$SOCKET" <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$db_pass';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$db_pass';
GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

install -d -m 755 /etc/slurm
# The daemons' own PID files, in a directory SlurmUser can delete them from when they stop (a
# stale /run/slurmctld.pid makes the slurmctld package's removal script fail).
install -d -o slurm -g slurm -m 755 /run/slurm
write_if_changed "$DBD_CONF" 600 slurm:slurm <<EOF
# Generated by .ci/slurm-up.sh
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=slurm
LogFile=$LOG_DIR/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
EOF

# --- slurm.conf (node line measured now, on this machine) ------------------------------
host=$(hostname -s 2>/dev/null || uname -n | cut -d. -f1)
node_line=$(slurmd -C | head -n1)
real_mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
[[ -n $real_mem ]] || die "could not read RealMemory from: $node_line"
node_mem=$((real_mem - MEM_RESERVE_MB))
node_line=${node_line/RealMemory=$real_mem/RealMemory=$node_mem}
install -d -o slurm -g slurm -m 755 /var/lib/slurm/slurmctld
install -d -m 755 /var/lib/slurm/slurmd

CHANGED=0
write_if_changed "$SLURM_CONF" 644 root:root <<EOF
# Generated by .ci/slurm-up.sh for a single-node test cluster.
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM_PER_CPU
MinJobAge=300
KillWait=10
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurm_conf_changed=$CHANGED

start slurmdbd slurmdbd -D
wait_for "slurmdbd" timeout 10 sacctmgr -n list cluster

if ! timeout 10 sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    timeout 10 sacctmgr -i add cluster "$CLUSTER" >/dev/null
    say "registered cluster $CLUSTER in accounting"
fi

# --- slurmctld, slurmd ------------------------------------------------------------------
if pid_alive slurmctld && ((slurm_conf_changed)); then
    timeout 10 scontrol reconfigure
    say "slurm.conf changed: told the running slurmctld to reconfigure"
fi
start slurmctld slurmctld -D
wait_for "slurmctld" bash -c 'timeout 10 scontrol ping | grep -q UP'
start slurmd slurmd -D

node_state() { timeout 10 sinfo -h -N -n "$host" -o %T 2>/dev/null | head -n1; }
deadline=$((SECONDS + START_TIMEOUT))
while :; do
    state=$(node_state || true)
    case $state in
    idle | mixed | allocated) break ;;
    *drain* | down*)
        # e.g. left drained by an earlier run that was killed
        timeout 10 scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
        ;;
    esac
    ((SECONDS < deadline)) || die "node $host not idle after ${START_TIMEOUT}s (state: '$state'); see $LOG_DIR"
    sleep 0.5
done
say "ready: cluster $CLUSTER, partition $PARTITION, node $host ($state); logs in $LOG_DIR, pids in $RUN_DIR"

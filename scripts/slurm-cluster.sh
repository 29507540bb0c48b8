#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for testing the job scripts (no systemd, no
# cgroups: daemons started by hand, stopped by the PIDs they wrote). Usage:
#   scripts/slurm-cluster.sh up DIR     start munged, slurmctld, slurmd; wait until the node is idle
#   scripts/slurm-cluster.sh down DIR   stop them
# Prints `export SLURM_CONF=DIR/slurm.conf` on `up`: the caller must use that config.
set -euo pipefail
cmd=${1:?up|down}; dir=$(realpath -m "${2:?state folder}")

up() {
    mkdir -p "$dir/state" "$dir/spool"
    local host mem
    host=$(hostname -s)
    mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 2048 ))
    cat > "$dir/slurm.conf" <<CONF
ClusterName=ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SwitchType=switch/none
ReturnToService=2
MailProg=/bin/true
MinJobAge=30
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    mkdir -p /run/munge && chown munge:munge /run/munge
    if [ ! -f /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
    fi
    pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
    export SLURM_CONF="$dir/slurm.conf"
    # A cluster stopped just before (the previous check's) may still be releasing the daemons'
    # ports: wait for its daemons to exit (they are not ours to kill).
    for _ in $(seq 1 75); do pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break; sleep 0.2; done
    slurmctld -i
    slurmd
    # The node registers within seconds on a quiet machine; allow a loaded CI machine a minute.
    for _ in $(seq 1 300); do
        [ "$(sinfo -h -N -o %T 2>/dev/null | head -1)" = "idle" ] && { echo "export SLURM_CONF=$SLURM_CONF"; return 0; }
        sleep 0.2
    done
    echo "error: Slurm node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2
    return 1
}

# Waits up to 15 s for the processes with these PIDs to exit.
wait_pids_gone() {
    for _ in $(seq 1 75); do
        local alive=0
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.2
    done
    return 1
}

down() {
    local pids=()
    for f in slurmd slurmctld; do
        [ -f "$dir/$f.pid" ] && pids+=("$(cat "$dir/$f.pid")")
    done
    if [ ${#pids[@]} -gt 0 ]; then
        kill "${pids[@]}" 2>/dev/null || true
        # Only this cluster's own daemons (from its PID files) are waited for and, if stuck, killed.
        wait_pids_gone "${pids[@]}" || { kill -9 "${pids[@]}" 2>/dev/null || true; sleep 0.5; }
    fi
    pkill -x munged 2>/dev/null || true
}

"$cmd"

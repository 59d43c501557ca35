#!/usr/bin/env bash
# Start a single-node Slurm (munged, slurmctld, slurmd) on this machine, for the
# tests of --executor slurm. Usage: start.sh DIR  (DIR holds slurm.conf, the
# state, the logs and the pid files; `stop.sh DIR` ends what this started).
# Prints the slurm.conf path on success; exits non-zero with the reason if not.
#
# Containers often lack a writable cgroup tree, so the node tracks processes
# with proctrack/linuxproc and binds no tasks (task/none); slurmd runs as root.
set -euo pipefail
dir=$(realpath -m "${1:?usage: start.sh DIR}")
mkdir -p "$dir"/{state,spool,log,munge}
for tool in munged slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null || { echo "no $tool (apt-get install slurm-wlm munge)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "slurmd needs root here (SlurmdUser=root)" >&2; exit 2; }

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
ports=$(python3 - <<'PY'
import socket
out = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); out.append(s.getsockname()[1]); s.close()
print(*out)
PY
)
read -r ctl_port node_port <<<"$ports"

# munge: a key of our own, a socket in DIR (no system munged needed).
if [ ! -f "$dir/munge/munge.key" ]; then
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
fi
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=seedwise-test
SlurmctldHost=$host
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
EnforcePartLimits=ALL
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
# A partition whose time limit sbatch enforces at submission (EnforcePartLimits=ALL):
# the tests ask it for more and expect the refusal.
PartitionName=short Nodes=$host MaxTime=00:05:00 State=UP OverSubscribe=FORCE:4
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 50); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q -E '^(idle|mixed|allocated)'; then
    echo "$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "Slurm did not come up; logs in $dir/log:" >&2
tail -n 5 "$dir"/log/slurmctld.log "$dir"/log/slurmd.log >&2 || true
exit 1

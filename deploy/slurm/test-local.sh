#!/usr/bin/env bash
# Prove deploy/slurm/ on a real Slurm: install Slurm and MUNGE from the
# distribution's packages, bring up a one-node cluster on this machine, submit a
# sharded batch, a sharded sensitivity analysis and a calibration whose rounds
# are sharded with submit.sh (job arrays + dependent merges), and check that the
# merged files are byte-identical to single-machine runs.
#
#   sudo bash deploy/slurm/test-local.sh        # root: it installs packages and starts daemons
#
# Needs Debian/Ubuntu (apt-get) and no init system: it starts munged, slurmctld
# and slurmd itself and stops them (by PID) on exit. The cluster's configuration,
# state, logs and results live in a temporary folder (kept and printed on failure).
# Builds detente with `cargo build --release` (honours CARGO_TARGET_DIR).
# Environment: SLURM_TEST_TIMEOUT  seconds to wait for the jobs (default 300)
#              SLURM_TEST_KEEP=1   keep the temporary folder after a pass
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
started=$(date +%s)
timeout_s=${SLURM_TEST_TIMEOUT:-300}

# The batch under test, sharded in 3: both scenario files (10 scenario x variant
# jobs), 100 replicates each (slices of 33, 33, 34), monthly quantile bands and
# every event, so all five CSV files are compared. About 1,000 runs: seconds.
shards=3
batch=(scenarios/reference-class/us_vietnam_1975.toml scenarios/afghanistan/baseline.toml
       -n 100 --seed 7 --timeseries summary --events)

work="" munged_pid="" slurmctld_pid="" slurmd_pid="" jobs=() result=FAIL reason="not finished"

log() { printf '[%4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { reason=$*; exit 1; }

stop_pid() { # name pid: TERM, then KILL after 10 s
    local name=$1 pid=$2 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name ($pid) did not stop on TERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

show_logs() {
    local f
    for f in "$work"/log/slurmctld.log "$work"/log/slurmd.log "$work"/log/munged.log \
             "$work"/out/logs/*.out; do
        [[ -s $f ]] || continue
        echo "---- ${f#"$work"/} (last 25 lines)"
        tail -n 25 "$f"
    done
}

finish() {
    local rc=$?
    set +e
    trap - EXIT INT TERM ERR
    if [[ $result != PASS ]]; then
        if ((${#jobs[@]})) && [[ -n $slurmctld_pid ]]; then
            scancel "${jobs[@]}" 2>/dev/null
            sleep 2
        fi
        [[ -n $work ]] && show_logs
    fi
    stop_pid slurmd "$slurmd_pid"
    stop_pid slurmctld "$slurmctld_pid"
    stop_pid munged "$munged_pid"
    local took=$(($(date +%s) - started))
    if [[ $result == PASS && $rc == 0 ]]; then
        if [[ ${SLURM_TEST_KEEP:-0} == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
        echo "PASS: slurm test-local: $shards-shard job arrays + merges on Slurm ${slurm_version:-?} reproduce the single-machine batch, sensitivity analysis and calibration byte for byte ($compared files) (${took}s)"
        exit 0
    fi
    [[ -n $work ]] && echo "kept for inspection: $work"
    echo "FAIL: slurm test-local: $reason (${took}s)"
    exit 1
}
trap finish EXIT
trap 'reason="line $LINENO failed: $BASH_COMMAND"' ERR
trap 'fail "interrupted"' INT TERM

[[ $(id -u) == 0 ]] || fail "must run as root (it installs packages and starts the Slurm daemons)"

# ---- 1. packages ------------------------------------------------------------
need_install=0
for cmd in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$cmd" >/dev/null || need_install=1
done
if ((need_install)); then
    command -v apt-get >/dev/null || fail "Slurm is not installed and there is no apt-get to install it"
    log "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || fail "apt-get update failed"
    apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null </dev/null \
        || fail "apt-get install slurm-wlm munge failed"
else
    log "slurm-wlm and munge already installed"
fi
slurm_version=$(slurmd -V | awk '{print $NF}')
log "Slurm $slurm_version, $(munged --version 2>&1 | head -n 1)"

# ---- 2. build detente (before the daemons, so they live briefly) ---------------
log "building detente (cargo build --release)"
(cd "$repo" && cargo build --release --quiet) || fail "cargo build --release failed"
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir == /* ]] || target_dir=$repo/$target_dir
detente=$target_dir/release/detente
[[ -x $detente ]] || fail "no binary at $detente after the build"

work=$(mktemp -d /tmp/detente-slurm-test.XXXXXX)
chmod 755 "$work"
mkdir -p "$work"/{etc,log,state,spool/slurmd,run}

# ---- 3. MUNGE -------------------------------------------------------------------
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
chown munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 700 /etc/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged already running; using it"
else
    log "starting munged"
    rm -f /run/munge/munged.pid
    setpriv --reuid=munge --regid=munge --init-groups -- \
        munged --foreground --force >"$work/log/munged.log" 2>&1 &
    munged_pid=$!
    for ((i = 0; i < 100; i++)); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        kill -0 "$munged_pid" 2>/dev/null || fail "munged exited (see log/munged.log)"
        sleep 0.1
    done
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || fail "munged did not answer within 10 s"
fi

# ---- 4. slurm.conf -----------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for base in 16817 17817 18817 19817 20817; do
    port_free "$base" && port_free "$((base + 1))" && break
done
port_free "$base" && port_free "$((base + 1))" || fail "no free pair of ports for slurmctld and slurmd"
node=$(hostname -s 2>/dev/null || uname -n)
# slurmd -C prints this machine's real CPUs, sockets, cores and memory.
node_hw=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
export SLURM_CONF=$work/etc/slurm.conf
cat >"$SLURM_CONF" <<CONF
# Single-node test cluster written by deploy/slurm/test-local.sh
ClusterName=detente-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool/slurmd
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$work/etc/plugstack.conf
# No cgroups (containers): plain process tracking, no task binding or accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
: >"$work/etc/plugstack.conf"
log "wrote $SLURM_CONF (node: $node_hw; ports $base, $((base + 1)))"

# ---- 5. daemons ---------------------------------------------------------------------
log "starting slurmctld and slurmd"
slurmctld -D -i >"$work/log/slurmctld.stderr" 2>&1 &
slurmctld_pid=$!
slurmd -D -N "$node" >"$work/log/slurmd.stderr" 2>&1 &
slurmd_pid=$!

state=""
for ((i = 0; i < 60; i++)); do
    kill -0 "$slurmctld_pid" 2>/dev/null || { cat "$work/log/slurmctld.stderr"; fail "slurmctld exited"; }
    kill -0 "$slurmd_pid" 2>/dev/null || { cat "$work/log/slurmd.stderr"; fail "slurmd exited"; }
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 1
done
[[ $state == idle ]] || { scontrol show node "$node" 2>&1 || true; fail "node $node not idle after 60 s (state: ${state:-none})"; }
log "node $node is idle"
sinfo

# ---- 6. submit the sharded batch --------------------------------------------------------
out=$work/out
log "submitting: submit.sh $shards $out ${batch[*]}"
cd "$repo"
submit() { # submit OUT DETENTE-ARGS...: sets array_id and merge_id
    local submitted
    submitted=$(DETENTE=$detente DETENTE_CPUS=1 SBATCH_ARGS="" bash "$here/submit.sh" "$shards" "$@") ||
        fail "submit.sh failed"
    echo "$submitted"
    array_id=$(sed -n 's/^array job: \([0-9]*\).*/\1/p' <<<"$submitted")
    merge_id=$(sed -n 's/^merge job: \([0-9]*\).*/\1/p' <<<"$submitted")
    [[ -n $array_id && -n $merge_id ]] || fail "could not read the job ids from submit.sh"
    jobs+=("$array_id" "$merge_id")
}
submit "$out" "${batch[@]}"

# ---- 7. wait -----------------------------------------------------------------------------
job_states() { # "3 COMPLETED" or "1 FAILED,2 COMPLETED": the JobState of every task of a job
    scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c |
        sed 's/^ *//' | paste -sd, -
}
wait_jobs() { # wait_jobs ARRAY MERGE FAIL_FAST: until neither is queued or running
    local deadline=$(($(date +%s) + timeout_s))
    while (($(squeue -h -j "$1,$2" 2>/dev/null | wc -l) > 0)); do
        kill -0 "$slurmctld_pid" && kill -0 "$slurmd_pid" || fail "a Slurm daemon died while jobs ran"
        if (($3)) && scontrol -o show job "$1" 2>/dev/null |
            grep -qE 'JobState=(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)'; then
            fail "a shard failed (array job $1: $(job_states "$1"))"
        fi
        (($(date +%s) < deadline)) ||
            fail "jobs not finished after ${timeout_s}s (array job $1: $(job_states "$1"); merge job $2: $(job_states "$2"))"
        sleep 1
    done
}
wait_jobs "$array_id" "$merge_id" 1
array_states=$(job_states "$array_id")
merge_states=$(job_states "$merge_id")
log "array job $array_id: $array_states; merge job $merge_id: $merge_states"
[[ $array_states == "$shards COMPLETED" ]] \
    || fail "array job $array_id did not complete every shard ($array_states)"
[[ $merge_states == "1 COMPLETED" ]] || fail "merge job $merge_id did not complete ($merge_states)"
for f in "$out"/logs/*.out; do
    echo "---- ${f#"$out"/}"
    cat "$f"
done

# ---- 8. compare with a single-machine run -------------------------------------------------------
log "running the same batch on this machine, unsharded"
"$detente" run "${batch[@]}" --out "$work/single" >"$work/log/single.out" 2>&1 \
    || { cat "$work/log/single.out"; fail "the unsharded run failed"; }
compared=0
for f in runs.csv groups.csv summary.csv timeseries.csv events.csv; do
    [[ -e $work/single/$f ]] || fail "the unsharded run wrote no $f"
    [[ -e $out/merged/$f ]] || fail "merged/$f is missing"
    cmp "$work/single/$f" "$out/merged/$f" || fail "merged/$f differs from the single-machine $f"
    log "merged/$f == single/$f ($(wc -l <"$out/merged/$f") lines)"
    compared=$((compared + 1))
done

# ---- 9. an incomplete set of shards is refused -----------------------------------------
rc=0
"$detente" merge "$out/shard-0" "$out/shard-2" --out "$work/incomplete" >"$work/log/incomplete.out" 2>&1 || rc=$?
[[ $rc == 2 ]] || { cat "$work/log/incomplete.out"; fail "merging shards 0 and 2 of 3 exited $rc, not 2"; }
[[ ! -e $work/incomplete/runs.csv ]] || fail "merging an incomplete set of shards wrote runs.csv"
log "merging shards 0 and 2 of 3 is refused (exit 2): $(head -n 1 "$work/log/incomplete.out")"

# ---- 10. a sharded sensitivity analysis ------------------------------------------------------
# Sobol' design over the file's [sweep] ranges: 3 x 9 = 27 points of 5 runs,
# sliced 9 / 9 / 9; merge recomputes the indices from every point's outcomes.
sens=(sensitivity scenarios/afghanistan/baseline.toml --points 3 -n 5 --seed 7)
log "submitting: submit.sh $shards $work/sens ${sens[*]}"
submit "$work/sens" "${sens[@]}"
wait_jobs "$array_id" "$merge_id" 1
[[ $(job_states "$array_id") == "$shards COMPLETED" && $(job_states "$merge_id") == "1 COMPLETED" ]] \
    || fail "the sharded sensitivity analysis did not complete (array $(job_states "$array_id"), merge $(job_states "$merge_id"))"
"$detente" "${sens[@]}" --out "$work/sens-single" >"$work/log/sens-single.out" 2>&1 \
    || { cat "$work/log/sens-single.out"; fail "the unsharded sensitivity analysis failed"; }
for f in points.csv runs.csv sensitivity.csv; do
    cmp "$work/sens-single/$f" "$work/sens/merged/$f" || fail "sensitivity merged/$f differs from the single-machine $f"
    log "sensitivity merged/$f == single/$f ($(wc -l <"$work/sens/merged/$f") lines)"
    compared=$((compared + 1))
done

# ---- 11. a calibration, round by round --------------------------------------------------------
# Rounds 0, 1 and 2 of a small SMC calibration, each as 3 shards; every merge
# job submits the next round itself, and the last links cal/merged.
cal=(calibrate scenarios/reference-class/us_vietnam_1975.toml --particles 20 --proposals 40 --rounds 2 -n 8 --seed 3)
log "submitting: submit.sh $shards $work/cal ${cal[*]}"
submit "$work/cal" "${cal[@]}"
deadline=$(($(date +%s) + timeout_s))
until [[ -e $work/cal/merged/posterior.csv ]]; do
    kill -0 "$slurmctld_pid" && kill -0 "$slurmd_pid" || fail "a Slurm daemon died while jobs ran"
    if scontrol -o show job 2>/dev/null | grep -qE 'JobState=(FAILED|CANCELLED|TIMEOUT|NODE_FAIL)'; then
        for f in "$work"/cal/logs/*.out; do echo "---- $f"; cat "$f"; done
        fail "a job of the calibration chain failed"
    fi
    if (($(squeue -h 2>/dev/null | wc -l) == 0)) && [[ ! -e $work/cal/merged/posterior.csv ]]; then
        sleep 2
        [[ -e $work/cal/merged/posterior.csv ]] || fail "the calibration chain ended without results"
    fi
    (($(date +%s) < deadline)) || fail "the calibration chain did not finish in ${timeout_s}s"
    sleep 1
done
mapfile -t cal_jobs < <(sed -n 's/^[A-Z_]*JOB_ID[A-Z_0-9]*=//p' "$work/cal/jobs.env")
jobs+=("${cal_jobs[@]}")
((${#cal_jobs[@]} == 6)) || fail "expected 3 rounds of array + merge, jobs.env lists ${#cal_jobs[@]} jobs"
"$detente" "${cal[@]}" --out "$work/cal-single" >"$work/log/cal-single.out" 2>&1 \
    || { cat "$work/log/cal-single.out"; fail "the unsharded calibration failed"; }
for f in posterior.csv calibration_summary.csv best_fit.toml; do
    cmp "$work/cal-single/$f" "$work/cal/merged/$f" || fail "calibration merged/$f differs from the single-machine $f"
    log "calibration merged/$f == single/$f (3 rounds x 3 shards)"
    compared=$((compared + 1))
done

# ---- 12. a failing shard cancels the merge -------------------------------------------------
log "submitting a batch whose shards fail (unknown key path)"
submit "$work/bad" "${batch[@]}" --set no.such.key=1
wait_jobs "$array_id" "$merge_id" 0
array_states=$(job_states "$array_id")
merge_states=$(job_states "$merge_id")
[[ $array_states == "$shards FAILED" ]] || fail "the bad shards ended $array_states, not $shards FAILED"
[[ $merge_states == "1 CANCELLED" ]] || fail "the merge after failed shards ended $merge_states, not CANCELLED"
[[ ! -e $work/bad/merged ]] || fail "a merged folder was written although the shards failed"
log "array job $array_id: $array_states; merge job $merge_id: $merge_states (nothing merged)"
result=PASS

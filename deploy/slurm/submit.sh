#!/usr/bin/env bash
# Submit a detente batch, sweep, sensitivity analysis, discovery or calibration
# to Slurm as N shards (one job array) plus a merge job that runs once every
# shard has succeeded.
#
#   deploy/slurm/submit.sh N OUT [COMMAND] ARGUMENTS...
#
#   N      number of shards (array tasks 0..N-1)
#   OUT    results folder on a file system every node sees; receives
#          shard-0 .. shard-(N-1), merged/ (the results) and logs/
#   COMMAND run (the default), sweep, sensitivity, discover or calibrate
#   the rest: what you would give that command (scenario files, -n, --seed,
#          --variant, --set, --points, ...), without --out, --shard or
#          --threads, which are set per shard
#
# A calibration is a chain of rounds: round R runs as an array into
# OUT/round-R/shard-I and merges into OUT/round-R/merged; each merge submits the
# next round, and after the last one OUT/merged links to the final results.
#
# Environment (all optional):
#   DETENTE       the detente binary (default: target/release/detente of this
#                 repository, else detente on the PATH); must be visible to the nodes
#   DETENTE_CPUS  CPUs (= worker threads) per shard (default 1)
#   SBATCH_ARGS   extra sbatch options for both jobs, e.g.
#                 "--partition=short --account=proj42 --time=01:00:00"
#
# Checks the scenario files with `detente validate` first, then prints the two
# job ids (also written to OUT/jobs.env). Relative scenario paths are resolved
# in the current folder, which the jobs also run in.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "submit.sh: $*" >&2; exit 2; }

# submit_round DIR ROUND POPULATION ARGS...: the array into DIR/shard-I and
# its merge into DIR/merged; ROUND and POPULATION are empty except for a
# calibration. Prints the job ids and appends them to $base/jobs.env.
submit_round() {
    local dir=$1 round=$2 population=$3
    shift 3
    mkdir -p "$dir" "$base/logs"
    local tag=${round:+round-$round-}
    export DETENTE=$detente DETENTE_OUT=$dir DETENTE_SHARDS=$shards DETENTE_POPULATION=$population \
        DETENTE_ROUND=$round DETENTE_BASE=$base DETENTE_SLURM_DIR=$here
    # shellcheck disable=SC2206 # SBATCH_ARGS is a list of options, split on spaces on purpose
    local extra=(${SBATCH_ARGS:-}) array_id merge_id
    array_id=$(sbatch --parsable --export=ALL --chdir="$PWD" \
        --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
        --job-name=detente-shards --output="$base/logs/${tag}shard-%a.out" \
        "${extra[@]}" "$here/detente-array.sbatch" "$@") || {
        echo "submit.sh: sbatch refused the shard array; nothing was submitted" >&2
        exit 1
    }
    array_id=${array_id%%;*}
    if ! merge_id=$(sbatch --parsable --export=ALL --chdir="$PWD" \
        --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
        --job-name=detente-merge --output="$base/logs/${tag}merge.out" \
        "${extra[@]}" "$here/detente-merge.sbatch"); then
        echo "submit.sh: the merge job was not submitted; the shards run as job $array_id" >&2
        echo "  (cancel them with: scancel $array_id)" >&2
        exit 1
    fi
    merge_id=${merge_id%%;*}
    local suffix=${round:+_ROUND_$round}
    printf 'ARRAY_JOB_ID%s=%s\nMERGE_JOB_ID%s=%s\n' "$suffix" "$array_id" "$suffix" "$merge_id" >>"$base/jobs.env"
    echo "array job: $array_id ($shards shards -> $dir/shard-0 .. shard-$((shards - 1)), logs in $base/logs)"
    echo "merge job: $merge_id (after every shard succeeds -> $dir/merged)"
}

# From the merge job of calibration round R: submit round R+1 with the same
# settings and arguments, starting from round R's merged population.
if [[ ${1:-} == --next-round ]]; then
    (( $# == 3 )) || die "usage: submit.sh --next-round BASE ROUND"
    base=$2 round=$3
    # shellcheck source=/dev/null
    source "$base/submit.env"
    mapfile -d '' args <"$base/args"
    next=$((round + 1))
    submit_round "$base/round-$next" "$next" "$base/round-$round/merged" "${args[@]}"
    exit 0
fi

(( $# >= 3 )) || usage
shards=$1 out=$2
shift 2
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, not '$shards'"
for a in "$@"; do
    case $a in
        --out|--out=*|-o|-o?*|--shard|--shard=*|--threads|--threads=*|-j|-j?*)
            die "do not pass $a: submit.sh sets --out, --shard and --threads for each shard" ;;
        --population|--population=*|--resume)
            die "do not pass $a: submit.sh chains a calibration's rounds itself" ;;
    esac
done
cpus=${DETENTE_CPUS:-1}
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "DETENTE_CPUS must be a positive integer, not '$cpus'"

if [[ -n ${DETENTE:-} ]]; then
    detente=$DETENTE
elif [[ -x $repo/target/release/detente ]]; then
    detente=$repo/target/release/detente
elif command -v detente >/dev/null; then
    detente=$(command -v detente)
else
    die "no detente binary: run 'cargo build --release' or set DETENTE=/path/to/detente"
fi
[[ $detente == /* ]] || detente=$PWD/$detente
[[ -x $detente ]] || die "$detente is not an executable file"
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

# Catch scenario errors here rather than in N queued jobs.
files=()
for a in "$@"; do [[ $a == *.toml && $a != -* && $a != *=* ]] && files+=("$a"); done
if (( ${#files[@]} )); then
    "$detente" validate "${files[@]}" >/dev/null || die "fix the scenario files first (detente validate ${files[*]})"
fi

mkdir -p "$out"
base=$(cd "$out" && pwd)
shopt -s nullglob
stale=("$base"/shard-* "$base"/.shard-*.staging "$base"/round-*)
[[ -e $base/merged ]] && stale+=("$base/merged")
(( ${#stale[@]} == 0 )) || die "$base already holds ${stale[*]##*/}: use a new folder or remove them"
: >"$base/jobs.env"

if [[ ${1:-} == calibrate ]]; then
    # What the merge jobs need to submit the following rounds.
    printf '%s\0' "$@" >"$base/args"
    printf 'shards=%q\ncpus=%q\ndetente=%q\nSBATCH_ARGS=%q\n' "$shards" "$cpus" "$detente" "${SBATCH_ARGS:-}" \
        >"$base/submit.env"
    submit_round "$base/round-0" 0 "" "$@"
else
    submit_round "$base" "" "" "$@"
fi

#!/bin/sh
# Prints a synthetic scenario of N actors (default 64) for the scaling
# benchmark (benches/engine.rs, group `scaling`) and for timing the command
# line on engines of different commits side by side (docs/PERFORMANCE.md):
# one armed group that targets every state, N - 1 states of varied
# capability, and a simulated relation for every fourth state with the next
# one (about N / 4 simulated pairs); every other pair is scripted. With
# TRACK=all every simulated pair is tracked (the memory of summaries), else
# only the first. Uses only keys every engine since 30e4e45 reads.
#
#   sh benches/synthetic.sh 64 > /tmp/synthetic-64.toml
n=${1:-64}
awk -v n="$n" -v track="${TRACK:-first}" 'BEGIN {
    print "[scenario]"
    printf "name = \"synthetic-%d\"\n", n
    printf "description = \"Synthetic family for the scaling benchmark: %d actors.\"\n", n
    print "start = \"2000-01\""
    print "end = \"2029-12\""
    list = ""
    for (i = 1; i + 1 < n; i += 4) {
        pair = sprintf("[\"s%d\", \"s%d\"]", i, i + 1)
        if (track == "all" || list == "") list = list (list == "" ? "" : ", ") pair
    }
    printf "tracked = [%s]\n", list
    print "report_years = [10, 30]"
    print ""
    print "[run]"
    print "replications = 100"
    print "seed = 1"
    for (i = 1; i < n; i++) {
        print ""
        print "[[actors]]"
        printf "id = \"s%d\"\n", i
        print "kind = \"state\""
        printf "capability = %.2f\n", 0.2 + (i * 37 % 100) / 100
        printf "pragmatism = %.2f\n", 0.3 + (i * 53 % 50) / 100
    }
    print ""
    print "[[actors]]"
    print "id = \"g0\""
    print "kind = \"armed_group\""
    print "[actors.group]"
    print "strength = 0.4"
    print "capacity = 1.0"
    print "attack_rate = 0.2"
    targets = ""
    for (i = 1; i < n; i++) targets = targets (i > 1 ? ", " : "") sprintf("s%d = 1.0", i)
    printf "targets = { %s }\n", targets
    for (i = 1; i + 1 < n; i += 4) {
        print ""
        print "[[relations]]"
        printf "pair = [\"s%d\", \"s%d\"]\n", i, i + 1
        print "stage = 2"
        printf "[relations.views.s%d]\n", i
        print "trust = 0.3"
        print "economy = 0.4"
        printf "[relations.views.s%d]\n", i + 1
        print "trust = 0.25"
        print "economy = 0.3"
        print "legitimacy = 0.2"
    }
}'

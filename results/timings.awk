# timings.awk prints the closing table of reproduce.sh: one line per config of its times file
# (tab-separated: name, wall seconds, peak RSS in KiB, status), with the cells the config
# computed and their training and attack cell-time read from its log, runs/<name>.log, then
# each config's attacks, the costliest first. mawk and gawk both run it:
#   awk -F'\t' -v total=SECONDS -f results/timings.awk TIMES
# A log's lines: a finished cell's "cell 3/9 ID: accuracy 97.20% (7m12s; attacks 5m1s: fora
# 3m10s, ica 2s (+2 under 0.5s)) … [3/9 done]", an epoch's "cell 3/9 epoch 2/5: … (1m4s)" (the
# time into the cell at its end); a cell whose network was reused trains for 0 s.
function hms(s) { return sprintf("%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60) }
# secs is the seconds of a Go duration: "1h2m3s", "11m47s", "0s".
function secs(d,   t, n) {
	t = 0
	while (match(d, /^[0-9.]+(h|ms|m|s)/)) {
		n = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
		if (n ~ /ms$/) t += n / 1000; else if (n ~ /h$/) t += n * 3600; else if (n ~ /m$/) t += n * 60; else t += n
	}
	return t
}
# breakdown reads a config log into cells, train and attack (cell-seconds), and
# the cell-seconds of each attack into by[name].
function breakdown(file,   line, f, d, a, n, i, kv) {
	cells = 0; train = 0; attack = 0; delete last; delete by
	while ((getline line < file) > 0) {
		if (match(line, /^cell [0-9]+\/[0-9]+ epoch [0-9]+\/[0-9]+: .*\(([0-9hms.]+)\)$/)) {
			split(line, f, " "); d = line; sub(/.*\(/, "", d); sub(/\)$/, "", d)
			last[f[2]] = secs(d) # time into the cell at the end of its latest epoch
		} else if (match(line, /^cell [0-9]+\/[0-9]+ [0-9a-f]+: accuracy [0-9.]+% \(/)) {
			split(line, f, " "); cells++
			train += last[f[2]]; delete last[f[2]]
			if (match(line, /; attacks [0-9hms.]+:/)) {
				a = substr(line, RSTART + RLENGTH + 1) # secs moves RSTART
				attack += secs(substr(line, RSTART + 10, RLENGTH - 11))
				sub(/ \(\+[0-9]+ under 0\.5s\).*/, "", a) # the list ends before the count of quick ones
				sub(/\).*/, "", a)                           # or at the parenthesis closing the times
				n = split(a, f, ", ")
				for (i = 1; i <= n; i++) if (split(f[i], kv, " ") == 2) by[kv[1]] += secs(kv[2])
			}
		}
	}
	close(file)
}
# costliest lists the attacks of by, the costliest first, with their share of the attacks'
# time (of the sum of by: the rounded parts of a cell can exceed its rounded total).
function costliest(   s, best, k, left, sum) {
	s = ""; sum = 0; for (k in by) { left[k] = by[k]; sum += by[k] }
	while (1) {
		best = ""; for (k in left) if (best == "" || left[k] > left[best]) best = k
		if (best == "" || left[best] < 0.5) break
		s = s (s == "" ? "" : ", ") sprintf("%s %s (%.0f%%)", best, hms(left[best]), 100 * left[best] / sum)
		delete left[best]
	}
	return s
}
BEGIN { printf "%-46s %9s %12s %6s %9s %9s  %s\n", "config", "wall", "peak RSS", "cells", "training", "attacks", "status" }
{
	breakdown("runs/" $1 ".log")
	printf "%-46s %9s %9.0f MiB %6d %9s %9s  %s\n", $1, hms($2), $3 / 1024, cells, hms(train), hms(attack), $4
	if (attack > 0) costs[++ncosts] = $1 ": " costliest()
}
END {
	printf "%-46s %9s\n", "total (this invocation)", hms(total)
	print "cells: computed in this invocation; training, attacks: their sums over those cells (two jobs at once: up to twice the wall time)"
	if (ncosts > 0) print "attack cell-time by attack, the costliest first:"
	for (i = 1; i <= ncosts; i++) print "  " costs[i]
}

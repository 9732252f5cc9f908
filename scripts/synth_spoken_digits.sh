#!/usr/bin/env bash
# Synthesises a spoken-digit corpus with espeak-ng, in the layout of the Free Spoken Digit
# Dataset (FSDD): OUT/{digit}_{speaker}_{index}.wav, 8 kHz mono 16-bit PCM, with OUT/speakers.csv
# (speaker, gender, accent, espeak-ng variant, base pitch and speed). It is the locally available
# stand-in for recorded speech: every result on it is on SYNTHETIC SPEECH.
#
#   apt-get install -y espeak-ng sox          # Debian/Ubuntu, as root
#   bash scripts/synth_spoken_digits.sh       # writes data/spoken-digits/ (36 s on 2 cores, 2026-12-07)
#   bash scripts/synth_spoken_digits.sh DIR   # or another folder
#
# Speakers: 30 espeak-ng voice variants, 15 female and 15 male (their gender as espeak-ng's
# voice list gives it), each with two accents (en-us and en-gb): 60 speakers, 30 per gender,
# named {accent}-{variant} (en-us-f2). Female: Alicia Andrea Annie aunty belinda linda steph
# steph2 steph3 anika f1 f2 f3 f4 f5 (every female variant except the whispering and robot
# ones); male: m2 m3 m4 m5 m6 m7 m8 Andy Alex david john robert adam benjamin edward.
# Each speaker gets a base pitch (espeak-ng -p, 35–65 of 0–99) and speed (-s, 140–180 words per
# minute) of its own; each utterance varies them by up to ±8 and ±15 around the base — a
# speaker's repetitions differ as a person's do. Every speaker says the ten digits (the words
# zero … nine) REPS times (default 10, indices 0 … REPS−1): 60 × 10 × 10 = 6,000 files.
# sox lowers espeak-ng's 22,050 Hz output by 3 dB (its peaks would clip in resampling), resamples
# it to 8 kHz, 16-bit (no dither) and trims leading and trailing silence below 0.1% of full
# scale (−60 dBFS), as FSDD's recordings are trimmed; a 0.5% threshold cut the quiet "th" of
# "three".
#
# Split (applied by the reader, datasets.ReadSpokenDigits): FSDD's rule, the lowest tenth of the
# indices of each speaker's recordings of a digit is the test split — index 0 of 0–9 here, 0–4 of
# 0–49 in FSDD: 600 test and 5,400 training recordings. Test utterances are never trained on,
# but their speakers are: the attribute attack's speaker-identity inference needs the attacker's
# auxiliary recordings to show the victims' speakers (a cloud that has heard its users before).
# A split by speaker would make that attribute unlearnable by construction.
#
# Deterministic: pitch and speed come from a fixed integer hash of (speaker, digit, index), never
# from a clock or $RANDOM, and sox runs in repeatable mode without dither, so the same espeak-ng
# and sox versions give byte-identical files. OUT/SHA256SUMS lists every file's digest and
# OUT/SOURCE.txt the versions, after a first line, "synthetic speech: …", that the reader copies
# into every result row's notes; the script prints the digest of SHA256SUMS (results/README.md
# records the one the committed results used). The corpus is built in OUT.tmp and moved into
# place at the end, so an interrupted run leaves no half-written OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/spoken-digits}
reps=${REPS:-10}
jobs=${JOBS:-$(nproc)}
for tool in espeak-ng sox sha256sum; do
	if ! command -v "$tool" >/dev/null; then
		echo "synth_spoken_digits: $tool not found: install it with apt-get install -y espeak-ng sox (Debian/Ubuntu, as root)" >&2
		exit 1
	fi
done
female=(Alicia Andrea Annie aunty belinda linda steph steph2 steph3 anika f1 f2 f3 f4 f5)
male=(m2 m3 m4 m5 m6 m7 m8 Andy Alex david john robert adam benjamin edward)
accents=(en-us en-gb)
words=(zero one two three four five six seven eight nine)

# espeak-ng accepts an unknown variant silently, so check each against its own list and take
# the gender from there (its Age/Gender column, e.g. --/F; the File column is !v/<variant>).
variants=$(espeak-ng --voices=variant)
gender_of() {
	local g
	g=$(awk -v f="!v/$1" '$0 ~ /variant/ { for (i = 1; i <= NF; i++) if ($i == f) { split($3, a, "/"); print a[2] } }' <<<"$variants")
	case $g in
	F) echo female ;;
	M) echo male ;;
	*) echo "synth_spoken_digits: espeak-ng has no voice variant $1 (espeak-ng --voices=variant lists them)" >&2; exit 1 ;;
	esac
}

# hash sets H to a deterministic pseudo-random integer in [0, $2) for the integer key $1 (two
# rounds of the 31-bit linear congruential step of ANSI C's example rand()).
hash() {
	local x=$(( ($1 * 1103515245 + 12345) % 2147483648 ))
	x=$(( (x * 1103515245 + 12345) % 2147483648 ))
	H=$(( (x / 65536) % $2 ))
}

tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
jobfile=$tmp/jobs.txt
{
	echo "speaker,gender,accent,variant,pitch,speed"
} >"$tmp/speakers.csv"
: >"$jobfile"
s=0
for v in "${female[@]}" "${male[@]}"; do
	g=$(gender_of "$v")
	want=female
	[ "$s" -ge $(( ${#female[@]} * ${#accents[@]} )) ] && want=male
	for a in "${accents[@]}"; do
		if [ "$g" != "$want" ]; then
			echo "synth_spoken_digits: espeak-ng says variant $v is $g, the script lists it as $want" >&2
			exit 1
		fi
		spk=$a-$v
		hash $(( s * 7 + 1 )) 31
		p0=$(( 35 + H ))
		hash $(( s * 7 + 2 )) 41
		s0=$(( 140 + H ))
		echo "$spk,$g,$a,$v,$p0,$s0" >>"$tmp/speakers.csv"
		for d in 0 1 2 3 4 5 6 7 8 9; do
			for ((i = 0; i < reps; i++)); do
				key=$(( (s * 10 + d) * 1000 + i ))
				hash $(( key * 2 + 1 )) 17
				p=$(( p0 + H - 8 ))
				hash $(( key * 2 + 2 )) 31
				sp=$(( s0 + H - 15 ))
				echo "$a+$v $p $sp ${words[$d]} ${d}_${spk}_${i}" >>"$jobfile"
			done
		done
		s=$(( s + 1 ))
	done
done

# synth_one VOICE PITCH SPEED WORD NAME: one utterance, 22,050 Hz from espeak-ng, then 8 kHz.
synth_one() {
	local raw=$OUT_TMP/$5.raw.wav
	espeak-ng -v "$1" -p "$2" -s "$3" -w "$raw" "$4"
	sox -R -D "$raw" -b 16 -c 1 -e signed-integer "$OUT_TMP/$5.wav" \
		gain -3 rate 8000 silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse
	rm -f "$raw"
}
export -f synth_one
export OUT_TMP=$tmp
xargs -P "$jobs" -L 1 bash -c 'synth_one "$@"' _ <"$jobfile"
rm -f "$jobfile"

{
	echo "synthetic speech: espeak-ng spoken digits, 60 voices, FSDD layout (scripts/synth_spoken_digits.sh, REPS=$reps)"
	espeak-ng --version
	sox --version
} >"$tmp/SOURCE.txt"
(cd "$tmp" && sha256sum -- *.wav speakers.csv >SHA256SUMS)
n=$(find "$tmp" -name '*.wav' | wc -l)
rm -rf "$out"
mv "$tmp" "$out"
echo "synth_spoken_digits: $n recordings of $s speakers in $out; corpus digest (sha256 of SHA256SUMS): $(sha256sum <"$out/SHA256SUMS" | cut -c1-64)" >&2

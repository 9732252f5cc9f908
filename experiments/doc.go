// Package experiments runs experiments: it computes the cells that package config expands an
// experiment into — trains each network, evaluates it through the DataMix protocol and runs
// the configured attacks on it — and writes one resumable run directory per experiment.
//
// # Concept
//
// A cell (config.Cell) is a resolved config and a variant: "datamix", the network trained
// split and mixing-aware and evaluated as deployed (head and mixing on the edge, body on the
// cloud, de-mixing and tail on the edge), or "baseline", the same network trained unsplit and
// unmixed, the reference accuracy. The config language itself — the keys, their defaults,
// sweeps, cell IDs and command-line overrides — is documented in package config
// (go doc ./experiments/config).
//
// # Running
//
// RunContext (Run without cancellation) expands a config, keeps the cells of its shard, locks
// the run directory, reuses the rows of the cells an earlier run finished and loads every
// dataset the others need (so a bad file stops the run before anything is written), then
// computes those cells and writes the run directory: the resolved config.yaml,
// manifest.json (every cell of the experiment, in order), and per cell cells/<id>/ with
// model.ckpt, epochs.csv, the fingerprint of the cell's dataset files (DataFile) and, last and
// atomically, row.json, whose presence marks the cell done — a re-run skips it, so a run
// killed at any moment (SIGKILL included) loses only the cells it was computing. Cell IDs leave
// out where the data is (dataset.path), so a finished cell is reused only when the data it
// recorded has the fingerprint of the data the run would use: a run into a directory whose
// cells were computed on other files stops at once with a *DataMismatchError, and a row that
// records no fingerprint (written before they were) is computed again. A cell that trains the
// same network as a finished cell (config.Cell.TrainingKey, the same data fingerprint), in the
// run directory or one of Options.Reuse, takes that cell's network instead of training it
// again (TrainingFile; reuse.go): the same row, bit for bit. It ends with results.csv, results.json and summary.md over all
// finished cells, in the order of config.Expand.
//
// Options.Jobs cells are computed at once (default: the number of CPUs), each in its own
// goroutine with its own network, graphs and generators, so results do not depend on it.
// RunContext stops when its context is cancelled: no new cell starts, the computing ones stop
// at their next training step, the finished ones are written, and the error is an
// *InterruptedError counting them. Options.Shard runs every n-th cell of the expanded list
// (Shard{i, n}: the cells whose index is i mod n), for job arrays; Merge combines the shard
// directories into one run directory, refusing directories of different experiments (by
// their manifest.json) and, unless told otherwise, incomplete sets of shards.
//
// RunCell trains one cell. Each cell draws from its own seeded PCG generators, one stream per
// purpose (initialisation, data order, training coefficients, evaluation secrets), so a
// baseline and a DataMix cell with the same seed start from the same weights and see the data
// in the same order. The protocol itself is package datamix: training is mixing-aware
// (datamix.Trainer: each step splits the batch into groups of k, draws a fresh C per group,
// redrawn while cond(C) > max_cond, and minimises the cross-entropy of
// tail(C⁻¹·body(C·head(X)))), and evaluation goes through datamix.Pipeline — head on the
// "edge", mixing in float64, shuffling, body on the "cloud", un-shuffling, de-mixing,
// tail — with fresh secret coefficients. A non-finite or exploding loss (above 1e4; ln 10 ≈
// 2.3 at chance) fails the cell with an error naming the epoch and step.
//
// A run holds an exclusive lock on its directory (LockFile, flock(2)) while it writes: a second
// run or merge into it fails at once with a *BusyError naming the holder's PID, host and
// command, and writes nothing. A panic while computing a cell fails that cell with a
// *PanicError (its stack also in the cell's PanicLogFile); the other cells go on.
//
// Library code never prints: progress goes to an Observer, which cmd/runexp turns into a
// progress bar.
//
// # Over the wire
//
// A cell's directory also holds its network as three part files (PartFile: head.ckpt,
// body.ckpt, tail.ckpt): LoadCloud opens the body file alone (and the tail file for the
// raw-input baseline), LoadEdge the head and tail files, and CloudModel serves a cloud
// through package wire under its ModelID. RunWire is the wire study of a config with a wire
// section: it trains the cells as RunContext does, then serves each trained network as its
// variants — everything on the edge, the input uploaded as PNG with the whole network in the
// cloud, plain split, DataMix — through clouds a CloudStarter starts (processes of their own
// from the command line, InProcessClouds in tests) to edges running in this process through
// emulated links, and measures latency per link and throughput with the number of edges,
// reading the cloud's own metrics (ScrapeCloud); it writes wire.csv and wire.json
// (results.WireRow). AttackCapture runs a cell's attacks on a capture made elsewhere — a
// cloud's capture file, with the edge's secrets file (WriteSecrets, ReadSecrets) as the truth —
// with the same specifications, seeds and columns as a run: the same capture gives the same
// scores.
//
// # Errors
//
// A config that does not validate stops a run before anything is written, with the
// *config.FieldError of its first problem. Other errors of this package start with
// "experiments:": *InterruptedError (the run was cancelled), *BusyError (the directory is in
// use), *DataMismatchError (its finished cells were computed on other data), *MissingError
// (Merge lacks some cells' rows), *PanicError (one cell's bug), and one error per run listing
// the cells that failed, each with its ID, swept values and cause. A wire study's errors name
// the cell and the variant being served; a part, secrets or capture file that is not what it
// must be is an error naming the file.
package experiments

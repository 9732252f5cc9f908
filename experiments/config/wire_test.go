package config

import (
	"slices"
	"testing"
)

// TestWireConfigErrors: every bad wire setting is one error naming the file line, the field
// and what is allowed.
func TestWireConfigErrors(t *testing.T) {
	checkErrors(t, smallHead+"baseline: true\n", []errorCase{
		{"unknown key", "wire: {pool: 8, bandwidth: 3}\n",
			"tiny.yaml:7: wire.bandwidth: unknown field, want one of links, edges, scaling_link, pool, inputs, seconds, max_batch, max_delay_ms, conn_queue"},
		{"unknown link", "wire:\n  links: [3g, 5g]\n",
			`tiny.yaml:8: wire.links: "5g" (entry 2), want one of 3g, lte, wifi, datacentre, loopback`},
		{"unknown scaling link", "wire: {scaling_link: fibre}\n",
			`tiny.yaml:7: wire.scaling_link: "fibre", want one of 3g, lte, wifi, datacentre, loopback`},
		{"no edges", "wire: {edges: [1, 0]}\n", "tiny.yaml:7: wire.edges: 0 (entry 2), need an integer from 1 to 256"},
		{"too many edges", "wire: {edges: [1000]}\n", "wire.edges: 1000 (entry 1), need an integer from 1 to 256"},
		{"pool of split groups", "wire:\n  pool: 3\n", "tiny.yaml:8: wire.pool: 3, need a multiple of mixing.group_size (2): an edge mixes whole groups"},
		{"negative pool", "wire: {pool: -2}\n", "wire.pool: -2, need an integer ≥ 1 (0 = 8)"},
		{"inputs of split pools", "wire: {pool: 4, inputs: 10}\n", "tiny.yaml:7: wire.inputs: 10, need a positive multiple of wire.pool (4)"},
		{"no time", "wire: {seconds: -1}\n", "wire.seconds: -1, need a number of seconds in (0, 3600]"},
		{"batch below the pool", "wire: {pool: 16, max_batch: 8}\n", "wire.max_batch: 8, need at least wire.pool (16): a pool's request must fit in one batch"},
		{"negative delay", "wire: {max_delay_ms: -1}\n", "wire.max_delay_ms: -1, need a number of milliseconds from 0 to 10000"},
		{"fraction of an edge", "wire: {edges: [1.5]}\n", "tiny.yaml:7: wire.edges: 1.5, need an integer"},
		{"swept", "wire: {}\nsweep: {wire.pool: [2, 4]}\n", "tiny.yaml:8: sweep: wire.pool: wire cannot be swept"},
		{"a group size the pool does not hold", "wire: {pool: 3}\nsweep: {mixing.group_size: [1, 2]}\n",
			"tiny.yaml:7: sweep cell {mixing.group_size: 2}: wire.pool: 3, need a multiple of mixing.group_size (2)"},
	})
	checkErrors(t, smallHead, []errorCase{
		{"no baseline", "wire: {pool: 8}\n", "tiny.yaml:6: baseline: false, but a wire study needs baseline: true"},
	})
}

// TestWireLeavesCellsAlone: a wire section changes no cell ID, its zero fields resolve to the
// documented defaults, and Tiny shrinks it to the two fastest links, one pool per link and at
// most two small edge counts.
func TestWireLeavesCellsAlone(t *testing.T) {
	plain := expandCells(t, tinyConfig(t, "baseline: true\n"))
	cfg := tinyConfig(t, "baseline: true\nwire: {edges: [1, 4, 16, 64], pool: 4}\n")
	wired := expandCells(t, cfg)
	for i := range plain {
		if plain[i].ID != wired[i].ID {
			t.Errorf("cell %d: ID %s with a wire section, %s without", i, wired[i].ID, plain[i].ID)
		}
	}
	r := cfg.Wire.Resolved()
	if !slices.Equal(r.Links, []string{"3g", "lte", "wifi", "datacentre"}) || r.Inputs != 64 || r.MaxBatch != 64 ||
		r.MaxDelayMS != 2 || r.ConnQueue != 16 || r.Seconds != 10 || r.ScalingLink != "loopback" {
		t.Errorf("resolved defaults %+v", r)
	}
	cfg.Tiny()
	tr := cfg.Wire.Resolved()
	if tr.Inputs != 4 || !slices.Equal(tr.Edges, []int{1, 4}) || tr.Seconds != 0.25 || !slices.Equal(tr.Links, []string{"wifi", "datacentre"}) {
		t.Errorf("tiny wire %+v", tr)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the tiny wire config does not validate: %v", err)
	}
}

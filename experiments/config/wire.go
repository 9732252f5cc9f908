package config

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/datamix/harness/wire/link"
)

// Wire says how an experiment's trained cells are served and measured over the network
// (runexp wire). Every cell's network is served by a cloud to edges through emulated links
// (package wire/link): the baseline network as everything-on-the-edge (no cloud) and as the
// raw input uploaded as PNG with the whole network in the cloud; each DataMix cell as the
// edge's head, mixing and tail with the body in the cloud. A zero field means its default.
type Wire struct {
	// Links are the link profiles of the latency sweep: one edge serves Inputs test images
	// through each (link.Names: 3g, lte, wifi, datacentre, loopback). Default: 3g, lte,
	// wifi, datacentre.
	Links []string `yaml:"links,omitempty"`
	// Edges are the numbers of edges of the scaling sweep: that many edges serve test
	// images at once, each as fast as its answers come back, for Seconds. Default: 1, 4,
	// 16, 64.
	Edges []int `yaml:"edges,omitempty"`
	// ScalingLink is the link profile of every edge in the scaling sweep. Default loopback
	// (no emulation, bytes counted): the cloud, not the network, is what scaling measures,
	// and an unshaped link adds no emulator's work to the edges' CPU time.
	ScalingLink string `yaml:"scaling_link"`
	// Pool is the number of inputs an edge serves per exchange: its shuffling pool, a
	// multiple of mixing.group_size. Default 8.
	Pool int `yaml:"pool"`
	// Inputs is the number of test images one edge serves through each link of the latency
	// sweep, a multiple of Pool. Default 64.
	Inputs int `yaml:"inputs"`
	// Seconds is how long each point of the scaling sweep runs (after one exchange per edge
	// to warm up). Default 10.
	Seconds float64 `yaml:"seconds"`
	// MaxBatch is the most rows the cloud's body runs at once, gathered across edges
	// (wire.Config.MaxBatch). Default 64.
	MaxBatch int `yaml:"max_batch"`
	// MaxDelayMS is how long, in milliseconds, the oldest waiting request waits for others
	// to fill a batch (wire.Config.MaxDelay). Default 2.
	MaxDelayMS float64 `yaml:"max_delay_ms"`
	// ConnQueue is the most requests one edge may have waiting in the cloud
	// (wire.Config.ConnQueue). Default 16.
	ConnQueue int `yaml:"conn_queue"`
}

// The defaults of a wire section's zero fields.
var (
	defaultWireLinks = []string{"3g", "lte", "wifi", "datacentre"}
	defaultWireEdges = []int{1, 4, 16, 64}
)

const (
	defaultWirePool      = 8
	defaultWireInputs    = 64
	defaultWireSeconds   = 10
	defaultWireMaxBatch  = 64
	defaultWireMaxDelay  = 2
	defaultWireConnQueue = 16
	maxWireEdges         = 256
)

// Resolved returns w with every zero field replaced by its default.
func (w Wire) Resolved() Wire {
	if len(w.Links) == 0 {
		w.Links = slices.Clone(defaultWireLinks)
	}
	if len(w.Edges) == 0 {
		w.Edges = slices.Clone(defaultWireEdges)
	}
	if w.ScalingLink == "" {
		w.ScalingLink = "loopback"
	}
	if w.Pool == 0 {
		w.Pool = defaultWirePool
	}
	if w.Inputs == 0 {
		w.Inputs = max(defaultWireInputs/w.Pool, 1) * w.Pool
	}
	if w.Seconds == 0 {
		w.Seconds = defaultWireSeconds
	}
	if w.MaxBatch == 0 {
		w.MaxBatch = defaultWireMaxBatch
	}
	if w.MaxDelayMS == 0 {
		w.MaxDelayMS = defaultWireMaxDelay
	}
	if w.ConnQueue == 0 {
		w.ConnQueue = defaultWireConnQueue
	}
	return w
}

// MaxDelay is MaxDelayMS as a duration.
func (w Wire) MaxDelay() time.Duration {
	return time.Duration(w.MaxDelayMS * float64(time.Millisecond))
}

// validateWire checks the wire section, when there is one: known link profiles, edge counts,
// a pool of whole groups, inputs of whole pools, finite and bounded times, and a baseline to
// serve the everything-on-the-edge and raw-upload variants from.
func (c *Config) validateWire() error {
	if c.Wire == nil {
		return nil
	}
	w := c.Wire.Resolved()
	for i, l := range w.Links {
		if _, err := link.Lookup(l); err != nil {
			return c.fail(nil, "wire.links", "%q (entry %d), want one of %s", l, i+1, strings.Join(link.Names(), ", "))
		}
	}
	if _, err := link.Lookup(w.ScalingLink); err != nil {
		return c.fail(nil, "wire.scaling_link", "%q, want one of %s", w.ScalingLink, strings.Join(link.Names(), ", "))
	}
	for i, e := range w.Edges {
		if e < 1 || e > maxWireEdges {
			return c.fail(nil, "wire.edges", "%d (entry %d), need an integer from 1 to %d", e, i+1, maxWireEdges)
		}
	}
	if w.Pool < 1 {
		return c.fail(nil, "wire.pool", "%d, need an integer ≥ 1 (0 = %d)", w.Pool, defaultWirePool)
	}
	if k := c.Mixing.GroupSize; w.Pool%k != 0 {
		return c.fail(nil, "wire.pool", "%d, need a multiple of mixing.group_size (%d): an edge mixes whole groups", w.Pool, k)
	}
	if w.Inputs < 1 || w.Inputs%w.Pool != 0 {
		return c.fail(nil, "wire.inputs", "%d, need a positive multiple of wire.pool (%d)", w.Inputs, w.Pool)
	}
	if !(w.Seconds > 0 && w.Seconds <= 3600) {
		return c.fail(nil, "wire.seconds", "%v, need a number of seconds in (0, 3600]", w.Seconds)
	}
	if w.MaxBatch < 1 || w.MaxBatch > 4096 {
		return c.fail(nil, "wire.max_batch", "%d, need an integer from 1 to 4096", w.MaxBatch)
	}
	if w.MaxBatch < w.Pool {
		return c.fail(nil, "wire.max_batch", "%d, need at least wire.pool (%d): a pool's request must fit in one batch", w.MaxBatch, w.Pool)
	}
	if !(w.MaxDelayMS >= 0 && w.MaxDelayMS <= 10000) || math.IsNaN(w.MaxDelayMS) {
		return c.fail(nil, "wire.max_delay_ms", "%v, need a number of milliseconds from 0 to 10000", w.MaxDelayMS)
	}
	if w.ConnQueue < 1 {
		return c.fail(nil, "wire.conn_queue", "%d, need an integer ≥ 1 (0 = %d)", w.ConnQueue, defaultWireConnQueue)
	}
	if !c.Baseline {
		fe := c.fail(nil, "baseline", "false, but a wire study needs baseline: true: its everything-on-the-edge and raw-upload variants serve the baseline network")
		fe.Line = c.lineOf("baseline", "wire")
		return fe
	}
	return nil
}

// tinyWire shrinks a wire section into a smoke test of itself: the two fastest links of the
// list (by uplink bandwidth; every shaped link runs the same code, and the slow ones would
// only make the test wait), one pool per link, at most two edge counts of at most 4 edges, a
// quarter of a second per scaling point.
func (c *Config) tinyWire() {
	if c.Wire == nil {
		return
	}
	w := *c.Wire
	r := w.Resolved()
	links := slices.Clone(r.Links)
	speed := func(name string) float64 {
		p, err := link.Lookup(name)
		if err != nil || p.Up == 0 {
			return math.Inf(1) // unknown (Validate reports it) or unlimited
		}
		return p.Up
	}
	slices.SortStableFunc(links, func(a, b string) int { return cmp.Compare(speed(b), speed(a)) })
	if len(links) > 2 {
		links = links[:2]
	}
	w.Links = slices.DeleteFunc(slices.Clone(r.Links), func(l string) bool { return !slices.Contains(links, l) })
	w.Inputs = r.Pool
	var edges []int
	for _, e := range r.Edges {
		if e = min(e, 4); !slices.Contains(edges, e) && len(edges) < 2 {
			edges = append(edges, e)
		}
	}
	w.Edges = edges
	w.Seconds = 0.25
	c.Wire = &w
}

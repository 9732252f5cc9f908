package defence

import (
	"math/rand/v2"
	"strings"
)

// Stack is the defences of one deployment, in the order they were configured. At each stage
// the edge applies that stage's defences in this order.
type Stack []Defence

// Label joins the defences' labels with " + " ("quant 4 bit + mask 0.3"); "" for none.
func (s Stack) Label() string {
	labels := make([]string, len(s))
	for i, d := range s {
		labels[i] = d.Label()
	}
	return strings.Join(labels, " + ")
}

// Has reports whether a defence of s acts at stage st.
func (s Stack) Has(st Stage) bool {
	for _, d := range s {
		if d.Stage() == st {
			return true
		}
	}
	return false
}

// At returns the defences of s that act at stage st, in order.
func (s Stack) At(st Stage) Stack {
	var out Stack
	for _, d := range s {
		if d.Stage() == st {
			out = append(out, d)
		}
	}
	return out
}

// NoPeekWeight is the summed weight of the NoPeek penalties of s (0 for none).
func (s Stack) NoPeekWeight() float64 {
	var w float64
	for _, d := range s {
		if f := d.Form(); f.Op == OpPenalty {
			w += f.Weight
		}
	}
	return w
}

// Apply applies the defences of stage st to n rows of d values in place (rows holds n·d
// values), in order, each drawing its random input from rng; scratch holds the draws and is
// grown as needed. Training-stage defences transform nothing and are skipped.
func (s Stack) Apply(st Stage, rows []float32, d int, rng *rand.Rand, scratch *[]float32) {
	for _, def := range s {
		if def.Stage() != st {
			continue
		}
		f := def.Form()
		var e []float32
		if f.Random() {
			if cap(*scratch) < len(rows) {
				*scratch = make([]float32, len(rows))
			}
			e = (*scratch)[:len(rows)]
			def.Draw(e, rng)
		}
		switch f.Op {
		case OpAddScaled:
			AddScaled(rows, rows, e, d, f.Scale)
		case OpMultiply:
			Multiply(rows, rows, e)
		case OpQuantise:
			Quantise(rows, rows, d, f.Bits)
		}
	}
}

// Cost sums the defences' costs per input, for uploads of d values: each input has one row of
// features and one upload. WireBytes is that of the last defence that sets it (0: float32).
func (s Stack) Cost(d int) Cost {
	var c Cost
	for _, def := range s {
		dc := def.Cost(d)
		c.Edge += dc.Edge
		c.Cloud += dc.Cloud
		if dc.WireBytes > 0 {
			c.WireBytes = dc.WireBytes
		}
	}
	return c
}

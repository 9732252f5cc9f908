// Package modelstest builds networks with chosen weights for tests of the code around them:
// Reweight rewrites the weights of a models.Net through its checkpoint format (the one
// models.Net.Save writes and models.Load reads), so that tests need no access to the
// network's internals; AffineBody makes a network's cloud body affine on non-negative
// inputs, the case in which DataMix's de-mixing is exact and can be checked to round-off.
package modelstest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/datamix/harness/models"
)

// Reweight returns a copy of net (the same architecture, classes and split) whose weight
// tensors f has rewritten: f gets each tensor's name ("l<layer>.w", "l<layer>.b", layers
// numbered in the architecture's order, the classifier last), shape and values, in checkpoint
// order, and may change the values in place.
func Reweight(net *models.Net, f func(name string, shape []int, w []float32)) (*models.Net, error) {
	var buf bytes.Buffer
	if err := net.Save(&buf); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	// Magic line, JSON header line, little-endian float32 weights, CRC-32 of the weights.
	rd := bufio.NewReader(bytes.NewReader(b))
	magic, err := rd.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	header, err := rd.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	var h struct {
		Params []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
		} `json:"params"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return nil, fmt.Errorf("modelstest: checkpoint header: %w", err)
	}
	off := len(magic) + len(header)
	weights := b[off : len(b)-4]
	at := 0
	for _, p := range h.Params {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if 4*(at+n) > len(weights) {
			return nil, errors.New("modelstest: checkpoint shorter than its header says")
		}
		w := make([]float32, n)
		for i := range w {
			w[i] = math.Float32frombits(binary.LittleEndian.Uint32(weights[4*(at+i):]))
		}
		f(p.Name, p.Shape, w)
		for i, v := range w {
			binary.LittleEndian.PutUint32(weights[4*(at+i):], math.Float32bits(v))
		}
		at += n
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(weights))
	return models.Load(bytes.NewReader(b), "modelstest")
}

// AffineBody returns a copy of net whose dense layers in the cloud body have non-negative
// weights and biases of at least 0.1: on non-negative inputs (what a head ending in ReLU,
// or raw pixels, gives, and any convex mix of them) every pre-activation is then positive,
// the ReLUs pass everything, and the body is the affine map g(m) = W·m + b. De-mixing
// through it is exact for coefficient matrices whose rows sum to 1 (C·1 = 1, so
// C⁻¹·g(C·H) = W·H + C⁻¹·1·bᵀ = g(H)). The body must consist of dense layers only
// (mnist-cnn at split 2, cifar-cnn at split 3): max-pooling is not linear.
func AffineBody(net *models.Net) (*models.Net, error) {
	body := map[string]bool{} // the weight names of the body's layers
	layer := 0
	for b, blk := range net.Arch.Blocks {
		for _, l := range blk {
			if b >= net.Split {
				if l.Kind != models.Dense {
					return nil, fmt.Errorf("modelstest: %s at split %d: block %d of the body is not dense", net.Arch.Name, net.Split, b)
				}
				body[fmt.Sprintf("l%d.w", layer)] = true
				body[fmt.Sprintf("l%d.b", layer)] = true
			}
			layer++
		}
	}
	return Reweight(net, func(name string, _ []int, w []float32) {
		if !body[name] {
			return
		}
		for i := range w {
			w[i] = float32(math.Abs(float64(w[i])))
			if name[len(name)-1] == 'b' {
				w[i] += 0.1
			}
		}
	})
}

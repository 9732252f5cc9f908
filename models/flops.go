package models

// Cost is the analytic cost of one sample's inference. FLOPs count a multiply-add as two
// operations (the usual convention, e.g. in the DataMix paper's edge/cloud split), a bias add,
// a ReLU, a max-pool comparison or a residual addition as one. A batch norm in inference is one
// scale and one shift per value (two); global average pooling one operation per input value
// (the adds and the final scaling).
type Cost struct {
	Head, Body, Tail int64
}

// Total is the FLOPs of the unsplit network.
func (c Cost) Total() int64 { return c.Head + c.Body + c.Tail }

// layerFLOPs is the cost of one layer for one sample.
func layerFLOPs(p layerPlan) int64 {
	switch p.Kind {
	case Conv:
		outs := int64(prod(p.out))
		macs := outs * int64(p.in[0]*p.Kernel*p.Kernel)
		return 2*macs + outs + outs // multiply-adds, bias, ReLU
	case Pool:
		return int64(prod(p.out)) * 3 // 4 inputs per output: 3 comparisons
	case Dense:
		outs := int64(p.Out)
		f := 2*int64(prod(p.in))*outs + outs
		if p.block >= 0 {
			f += outs // ReLU
		}
		return f
	case ConvBN:
		outs := int64(prod(p.out))
		return outs * (2*int64(p.in[0]*p.Kernel*p.Kernel) + 3) // multiply-adds, BN, ReLU
	case Residual:
		outs, kk := int64(prod(p.out)), int64(p.Kernel*p.Kernel)
		conv1 := outs * (2*int64(p.in[0])*kk + 3) // multiply-adds, BN, ReLU
		conv2 := outs * (2*int64(p.Out)*kk + 4)   // multiply-adds, BN, shortcut add, ReLU
		return conv1 + conv2
	case GAP:
		return int64(prod(p.in))
	}
	return 0
}

// FLOPs returns the per-sample cost of the head, body and tail at the net's split point.
func (n *Net) FLOPs() Cost {
	var c Cost
	for _, p := range n.plan {
		f := layerFLOPs(p)
		switch {
		case p.block < 0:
			c.Tail += f
		case p.block < n.Split:
			c.Head += f
		default:
			c.Body += f
		}
	}
	return c
}

package models

// Cost is the analytic cost of one sample's inference. FLOPs count a multiply-add as two
// operations (the usual convention, e.g. in the DataMix paper's edge/cloud split), a bias add,
// a ReLU, a max-pool comparison or a residual addition as one. A batch norm in inference is one
// scale and one shift per value (two); global average pooling one operation per input value
// (the adds and the final scaling); an average pool of a k×k window k² per output (k²−1 adds
// and the scaling); a max-pool k²−1 comparisons per output; dropout nothing (it is the
// identity in inference).
type Cost struct {
	Head, Body, Tail int64
}

// Total is the FLOPs of the unsplit network.
func (c Cost) Total() int64 { return c.Head + c.Body + c.Tail }

// b2i is 1 for true, 0 for false.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// layerFLOPs is the cost of one layer for one sample.
func layerFLOPs(p layerPlan) int64 {
	outs := int64(prod(p.out))
	switch p.Kind {
	case Conv, ConvAny:
		macs := outs * int64(p.in[0]*p.Kernel*p.Kernel)
		return 2*macs + outs*b2i(p.Bias) + outs*b2i(p.ReLU) // multiply-adds, bias, ReLU
	case MaxPool:
		return outs * int64(p.Kernel*p.Kernel-1)
	case AvgPool:
		return outs * int64(p.Kernel*p.Kernel)
	case Dense:
		return 2*int64(prod(p.in))*outs + outs + outs*b2i(p.ReLU) // multiply-adds, bias, ReLU
	case ConvBN:
		return outs * (2*int64(p.in[0]*p.Kernel*p.Kernel) + 2 + b2i(p.ReLU)) // multiply-adds, BN, ReLU
	case Residual:
		kk := int64(p.Kernel * p.Kernel)
		conv1 := outs * (2*int64(p.in[0])*kk + 3) // multiply-adds, BN, ReLU
		conv2 := outs * (2*int64(p.Out)*kk + 4)   // multiply-adds, BN, shortcut add, ReLU
		if p.Shortcut == ShortcutProjection {
			conv2 += outs * (2*int64(p.in[0]) + 2) // the 1×1 convolution and its BN
		}
		return conv1 + conv2
	case GAP:
		return int64(prod(p.in))
	case BatchNorm:
		return outs * (2 + b2i(p.ReLU))
	case ReLU:
		return outs
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

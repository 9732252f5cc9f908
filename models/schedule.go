package models

// SetLR sets the learning rate used by the following steps (for a schedule such as cosine
// decay). Adam's moment estimates are kept.
func (t *Trainer) SetLR(lr float64) { t.opt.lr = lr }

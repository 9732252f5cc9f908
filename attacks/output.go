package attacks

import (
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/attacks/algo"

	"github.com/datamix/harness/metrics"
)

// KindOutput is the output-inference attack: a classifier on the values the cloud returns
// predicts the label.
const KindOutput = "output"

// output is the output-inference attack: a one-vs-rest ridge classifier on the values the
// cloud returns (before de-mixing, which only the edge can do), trained on the returns of
// simulated uploads of auxiliary images, predicts the label of each upload's dominant member;
// its estimate is the predicted label per upload (Predictions, "label"). Columns <name>_acc
// and <name>_chance.
type output struct{}

func (output) Name() string               { return KindOutput }
func (output) Prefix() string             { return "output" }
func (output) Needs() []Need              { return []Need{needAuxUploads} }
func (output) Options() []Option          { return nil }
func (output) Columns(Spec, int) []string { return []string{"acc", "chance"} }

func (output) run(a *attack) error {
	net := a.env.Net
	set, err := a.auxUploads()
	if err != nil {
		return err
	}
	aux, dom := set.images, set.dom
	n := len(dom)
	ret, err := net.Body(set.up, n)
	if err != nil {
		return err
	}
	rd := net.ReturnDim()
	y := mat.NewDense(n, a.env.Classes, nil)
	for i, j := range dom {
		y.Set(i, aux.Y[j], 1)
	}
	clf, err := algo.FitRidge(dense32(ret, n, rd), y, a.env.RNG, algo.ClassLoss([]int{a.env.Classes}))
	if err != nil {
		return err
	}
	nv := a.victims()
	returns := a.obs.Returns[:nv*rd]
	if canonical(set.scheme) {
		// The returns are the body of signed, scaled uploads: the cloud, which runs the body,
		// reruns it on the uploads brought to the canonical sign and scale it trained on.
		d := len(a.obs.Uploads) / a.obs.N
		if returns, err = net.Body(a.canon(set.scheme, a.obs.Uploads[:nv*d]), nv); err != nil {
			return err
		}
		a.note("features: the body rerun on the canonical uploads (the returns are of signed, scaled ones)")
	}
	pred := clf.Predict(dense32(returns, nv, rd))
	est := Predictions{AttrLabel: make([]int, nv)}
	for p := range nv {
		est[AttrLabel][p] = floats.MaxIdx(pred.RawRowView(p))
	}
	truth := a.reveal(est)
	at := truth.inputAt()
	want := make([]int, nv)
	for p := range nv {
		want[p] = truth.Images.Y[truth.dominant(at[p], a.k)]
	}
	a.metric("acc", metrics.Accuracy(est[AttrLabel], want))
	a.metric("chance", metrics.Chance(want))
	a.headNote()
	a.note("body known (the cloud runs it)")
	a.note("coefficients %s", set.desc)
	a.note("target: label of each return's dominant member")
	a.note("one-vs-rest ridge classifier on the returns of %d auxiliary training images (alpha %g), %d test victims", aux.N, clf.Alpha, nv)
	a.done()
	return nil
}

package experiments

import (
	"math/rand/v2"
	"testing"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/models/modelstest"
)

// Evaluate pads the last batch with blank images, mixes them in like any input and drops
// their predictions. Through a body that de-mixing inverts exactly (modelstest.AffineBody), the
// accuracy over a test set that is not a whole number of batches is therefore exactly the
// unsplit network's, image for image: labels equal to its predictions on all but one image
// give (n−1)/n, whatever the batch size. Counting a padded image, dropping a real one or
// shifting predictions against labels changes the count.
func TestEvaluateDropsPadding(t *testing.T) {
	arch, _ := models.Lookup("mnist-cnn")
	raw, err := models.New(arch, 10, 2, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	affine, err := modelstest.AffineBody(raw)
	if err != nil {
		t.Fatal(err)
	}
	const n = 13
	rng := rand.New(rand.NewPCG(3, 4))
	imgs := &datasets.Images{N: n, C: 1, H: 28, W: 28, X: make([]float32, n*784), Y: make([]int, n)}
	for i := range imgs.X {
		imgs.X[i] = rng.Float32()
	}
	// The affine body's output shares one large positive direction for every input, which
	// decides the prediction: all images would get one class, and a wrong de-mixing could go
	// unseen. Subtracting each class's mean logit (over these images) from the classifier's
	// bias lets the images' differences decide.
	unsplit := func(net *models.Net) []float32 {
		whole, _ := net.WithSplit(0)
		logits := make([]float32, n*net.Classes)
		if err := datamix.NewPipeline(whole, datamix.Scheme{Scheme: mixing.Scheme{K: 1}}, nil).Logits(logits, imgs.X); err != nil {
			t.Fatal(err)
		}
		return logits
	}
	logits := unsplit(affine)
	net, err := modelstest.Reweight(affine, func(name string, _ []int, b []float32) {
		if name == "l5.b" { // the classifier's bias
			for i := range n {
				for c := range b {
					b[c] -= logits[i*10+c] / n
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The labels: the unsplit network's predictions, but for the last image.
	logits = unsplit(net)
	classes := map[int]bool{}
	for i := range n {
		imgs.Y[i] = models.Argmax(logits[i*10 : (i+1)*10])
		classes[imgs.Y[i]] = true
	}
	if len(classes) < 4 {
		t.Fatalf("test set-up: the network predicts only %d classes for the %d images", len(classes), n)
	}
	imgs.Y[n-1] = (imgs.Y[n-1] + 1) % 10
	sampler, _ := mixing.NewSampler("dirichlet", 1, nil)
	for _, batch := range []int{4, 6, 12, 16} { // 13 = 3·4+1 = 2·6+1 = 12+1; 16 > 13
		scheme := datamix.Scheme{Scheme: mixing.Scheme{K: 2, Sampler: sampler, Shuffle: true, Guard: mixing.Guard{MaxCond: 100, MaxTries: 1000}}}
		p := datamix.NewPipeline(net, scheme, rand.New(rand.NewPCG(5, uint64(batch))))
		var calls, last int
		acc, err := Evaluate(p, imgs, batch, batch, func(done, total int) {
			calls++
			if total != n || done <= last || done > n {
				t.Errorf("batch %d: progress %d/%d after %d", batch, done, total, last)
			}
			last = done
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(n-1) / n; acc != want {
			t.Errorf("batch %d: accuracy %v, want %v (12 of 13 images)", batch, acc, want)
		}
		if want := (n + batch - 1) / batch; calls != want || last != n {
			t.Errorf("batch %d: %d progress calls ending at %d, want %d ending at %d", batch, calls, last, want, n)
		}
	}
}

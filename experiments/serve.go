package experiments

import (
	"fmt"
	"os"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/wire"
)

// ModelID names a network's body on the wire: "<arch>/split<s>/<fingerprint>/body", or
// ".../body+tail" for the raw-input baseline's cloud, which runs the tail too. An edge asks
// for the ID of its own head and tail files, so it never talks to a cloud serving another
// network.
func ModelID(net *models.Net, fingerprint string, withTail bool) string {
	parts := "body"
	if withTail {
		parts = "body+tail"
	}
	return fmt.Sprintf("%s/split%d/%s/%s", net.Arch.Name, net.Split, fingerprint, parts)
}

// cloudModel serves a datamix.Cloud as a wire.Model.
type cloudModel struct {
	c    *datamix.Cloud
	info wire.ModelInfo
}

// CloudModel returns the wire.Model of cloud c, whose network has the given fingerprint
// (the part files'): its Info names it (ModelID), its Run is the body (and the tail for
// NewCloudWithTail). Rows run at most maxBatch at a time, so the graphs it builds stay
// within the batch sizes the server asks for.
func CloudModel(c *datamix.Cloud, fingerprint string, withTail bool, maxBatch int) wire.Model {
	net := c.Net()
	c.SetBatch(maxBatch)
	return &cloudModel{c: c, info: wire.ModelInfo{
		ID: ModelID(net, fingerprint, withTail), Arch: net.Arch.Name, Split: net.Split,
		InputShape: net.UploadShape(), OutputDim: c.OutputDim(), PNG: withTail && net.Split == 0,
	}}
}

func (m *cloudModel) Info() wire.ModelInfo         { return m.info }
func (m *cloudModel) Run(dst, src []float32) error { return m.c.Body(dst, src) }

// LoadCloud reads a cloud's network from its part files: the body file alone for a DataMix
// cloud, or the body and the tail files (tail != "") for the raw-input baseline's cloud,
// which runs the whole network of a split-0 cell. It opens no other file: the cloud never
// holds the head (or, for DataMix, the tail). It returns the cloud and the network's
// fingerprint.
func LoadCloud(body, tail string) (*datamix.Cloud, string, error) {
	net, info, err := loadPart(body, nil, models.Body)
	if err != nil {
		return nil, "", err
	}
	if tail == "" {
		return datamix.NewCloud(net), info.Fingerprint, nil
	}
	if net.Split != 0 {
		return nil, "", fmt.Errorf("experiments: %s: a body at split %d; a cloud running the tail too serves the whole network, split 0", body, net.Split)
	}
	if _, tinfo, err := loadPart(tail, net, models.Tail); err != nil {
		return nil, "", err
	} else if tinfo.Fingerprint != info.Fingerprint {
		return nil, "", fmt.Errorf("experiments: %s and %s are parts of different networks (fingerprints %s, %s)", body, tail, info.Fingerprint, tinfo.Fingerprint)
	}
	return datamix.NewCloudWithTail(net), info.Fingerprint, nil
}

// LoadEdge reads an edge's network from its head and tail files (nothing else: the edge
// never holds the body) and returns it with its fingerprint.
func LoadEdge(head, tail string) (*models.Net, string, error) {
	net, hinfo, err := loadPart(head, nil, models.Head)
	if err != nil {
		return nil, "", err
	}
	_, tinfo, err := loadPart(tail, net, models.Tail)
	if err != nil {
		return nil, "", err
	}
	if hinfo.Fingerprint != tinfo.Fingerprint {
		return nil, "", fmt.Errorf("experiments: %s and %s are parts of different networks (fingerprints %s, %s)", head, tail, hinfo.Fingerprint, tinfo.Fingerprint)
	}
	return net, hinfo.Fingerprint, nil
}

// loadPart reads the part file path, which must hold part, into net (nil: a new network).
func loadPart(path string, net *models.Net, part models.Part) (*models.Net, models.PartInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, models.PartInfo{}, fmt.Errorf("experiments: %w", err)
	}
	defer f.Close()
	net, info, err := models.LoadPart(f, path, net)
	if err != nil {
		return nil, models.PartInfo{}, err
	}
	if info.Part != part {
		return nil, models.PartInfo{}, fmt.Errorf("experiments: %s holds the %s, need the %s", path, info.Part, part)
	}
	return net, info, nil
}

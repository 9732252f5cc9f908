package config

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Marshal writes c as YAML, every field explicit (defaults included), with its sweep: the
// resolved config a run directory keeps. Parse(name, c.Marshal()) gives back c. A config
// loaded with overrides (LoadWith) starts with a comment naming its file and the overrides.
func (c *Config) Marshal() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("config: marshal config: %w", err)
	}
	flowRows(&n)
	if args := c.src.setArgs(); len(args) > 0 {
		n.HeadComment = "resolved from " + c.src.file + " with -set " + strings.Join(args, " -set ")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("config: marshal config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: marshal config: %w", err)
	}
	return buf.Bytes(), nil
}

// flowRows writes every sequence of scalars (a matrix row, a sweep's list) in flow style.
func flowRows(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		flat := true
		for _, c := range n.Content {
			flat = flat && c.Kind == yaml.ScalarNode
		}
		if flat {
			n.Style |= yaml.FlowStyle
		}
	}
	for _, c := range n.Content {
		flowRows(c)
	}
}

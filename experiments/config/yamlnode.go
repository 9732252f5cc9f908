package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lookup returns the value node at the dotted path in the mapping root, or nil.
func lookup(root *yaml.Node, path string) *yaml.Node {
	n := resolve(root)
	for _, seg := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg && n.Content[i].Kind == yaml.ScalarNode {
				next = resolve(n.Content[i+1])
			}
		}
		n = next
	}
	return n
}

// resolve follows aliases. yaml.v3 rejects unknown anchors, and an alias always refers to a
// node that is complete or an ancestor, so following the chain of aliases terminates.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names the kind of a node for an error message: the scalar as written, or
// "a list" / "a mapping".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "a YAML node"
}

// nodeText writes a value as one line of YAML in flow style, aliases expanded.
func nodeText(n *yaml.Node) (string, error) {
	c, err := copyNode(n, 0)
	if err != nil {
		return "", err
	}
	setFlow(c)
	out, err := yaml.Marshal(c)
	if err != nil {
		return "", err
	}
	return strings.Join(strings.Fields(strings.TrimSpace(string(out))), " "), nil
}

// setFlow puts collections in flow style and block scalars in quotes, so that the value
// fits on one line.
func setFlow(n *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		n.Style = yaml.FlowStyle
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		setFlow(c)
	}
}

// maxDepth bounds the nesting copyNode follows; config values nest at most three deep
// (sweep value → section → matrix row), so deeper input is a cycle of aliases or junk.
const maxDepth = 32

// copyNode deep-copies n with aliases expanded and anchors dropped.
func copyNode(n *yaml.Node, depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested more than %d deep", maxDepth)
	}
	n = resolve(n)
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("alias chain too long")
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	for _, child := range n.Content {
		cc, err := copyNode(child, depth+1)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, cc)
	}
	return &c, nil
}

// parseValue parses one YAML value written as text.
func parseValue(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}

// setLine gives every node of a value the line of the sweep entry it came from.
func setLine(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		setLine(c, line)
	}
}

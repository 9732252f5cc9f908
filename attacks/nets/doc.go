// Package nets gives the attacks (package attacks) the networks of package models: the
// trained network as the cloud can run it (Target: its body, and its head where the threat
// model grants it) and the attacker's own gradient-trained networks (Learner: inverse
// networks, shadow models trained through the frozen body, inversion of a head by
// optimisation).
//
// Package attacks reaches networks only through its Network and Learner interfaces, so that
// its algorithms and their tests run on small networks of plain Go; this package implements
// both on models.Net. A shadow model is trained under the scheme the attacker assumes
// (attacks.ShadowOptions.Scheme), drawing its coefficients as that scheme draws them.
//
// # Errors
//
// A caller's error (targets and starting points of the wrong size) panics; a failing forward
// pass, training step or coefficient draw is returned as an error starting with "nets: ".
package nets

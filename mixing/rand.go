package mixing

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
)

// CryptoRand returns a generator whose source reads the operating system's
// cryptographic generator (crypto/rand), for deployment: there the mixing
// matrices and the permutation are the secret, and must not come from a
// seeded generator an attacker could guess or reconstruct (InstaHide fell
// partly to such an attack). Its draws cannot be reproduced; experiments use
// a seeded rand.New(rand.NewPCG(…)) instead.
func CryptoRand() *rand.Rand { return rand.New(cryptoSource{}) }

// cryptoSource is a rand.Source reading crypto/rand.
type cryptoSource struct{}

// Uint64 returns 8 bytes from crypto/rand, whose Read never fails (it
// crashes the program instead, since Go 1.24).
func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

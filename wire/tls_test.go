package wire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki is a throwaway certificate authority for one test, writing PEM files into dir.
type pki struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // the CA's certificate
}

func newPKI(t *testing.T, dir, name string) *pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{dir: dir, cert: cert, key: key, file: filepath.Join(dir, name+".pem")}
	writePEM(t, p.file, "CERTIFICATE", der)
	return p
}

// issue writes a certificate and key signed by the CA for a server (loopback addresses) or a
// client, and returns their files.
func (p *pki) issue(t *testing.T, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMutualTLS: a cloud requiring client certificates speaks TLS 1.3 only, answers a client
// whose certificate its CA signed, and refuses one without a certificate, one with a
// certificate of another CA, one limited to TLS 1.2 and one speaking plain text, on IPv4 and
// IPv6 loopback.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, other := newPKI(t, dir, "ca"), newPKI(t, dir, "other-ca")
	srvCert, srvKey := ca.issue(t, "cloud", true)
	goodCert, goodKey := ca.issue(t, "edge", false)
	badCert, badKey := other.issue(t, "intruder", false)
	srvTLS, err := NewServerTLS(srvCert, srvKey, ca.file)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			lis, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				t.Skipf("no %s loopback here: %v", host, err)
			}
			m := newFake(0)
			logs := &logBuffer{}
			s, err := NewServer(m, Config{TLS: srvTLS, Logger: slogTo(logs)})
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(lis)
			defer s.Stop()
			addr := lis.Addr().String()

			good, err := NewClientTLS(ca.file, goodCert, goodKey, "")
			if err != nil {
				t.Fatal(err)
			}
			c := dial(t, addr, ClientConfig{TLS: good})
			got := make([]float32, 3)
			if err := c.Exchange(context.Background(), got, rows(1, 4)); err != nil {
				t.Fatalf("a client with a valid certificate: %v", err)
			}
			state := tlsState(t, addr, good)
			if state.Version != tls.VersionTLS13 {
				t.Errorf("negotiated TLS version %x, want 1.3", state.Version)
			}

			noCert, _ := NewClientTLS(ca.file, "", "", "")
			badCA, _ := NewClientTLS(ca.file, badCert, badKey, "")
			old, _ := NewClientTLS(ca.file, goodCert, goodKey, "")
			old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
			for name, cfg := range map[string]ClientConfig{
				"no certificate": {TLS: noCert}, "another CA's certificate": {TLS: badCA},
				"TLS 1.2": {TLS: old}, "plain text": {},
			} {
				// A refused client keeps trying until its deadline: 1 s is many attempts.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				if c, err := Dial(ctx, addr, cfg); err == nil {
					c.Close()
					t.Errorf("%s: the cloud answered", name)
				}
				cancel()
			}
			if !strings.Contains(logs.String(), "did not open with the TLS handshake") {
				t.Errorf("no log line for the plain-text client:\n%s", logs.String())
			}
		})
	}
}

// tlsState makes a TLS handshake with the server at addr and returns the connection's state.
func tlsState(t *testing.T, addr string, cfg *tls.Config) tls.ConnectionState {
	t.Helper()
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2"}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState()
}

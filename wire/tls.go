package wire

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// NewServerTLS returns the TLS configuration of a cloud: TLS 1.3 only, with the certificate
// and key of the PEM files certFile and keyFile. With clientCAFile (PEM, one or more CA
// certificates), every client must present a certificate one of them signed (mutual TLS); a
// client without one is refused in the handshake. "" accepts any client.
func NewServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("wire: TLS certificate %s, key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	if clientCAFile != "" {
		pool, err := loadPool(clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// NewClientTLS returns the TLS configuration of an edge: TLS 1.3 only, trusting the CA
// certificates of the PEM file caFile for the cloud's certificate (whose name must be
// serverName, or the host dialled when ""), and presenting the certificate and key of
// certFile and keyFile when both are given (mutual TLS).
func NewClientTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	pool, err := loadPool(caFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool, ServerName: serverName}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("wire: a client certificate needs both its file (%q) and its key (%q)", certFile, keyFile)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("wire: TLS certificate %s, key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// loadPool reads the CA certificates of a PEM file.
func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("wire: %s: no PEM certificate in it", file)
	}
	return pool, nil
}

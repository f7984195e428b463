package banks

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// HTTPClient is an outbound client with time-outs and, when given, a client certificate and CA
// bundle: what a provider's Build gives its connector.
func HTTPClient(certFile, keyFile, caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 15 * time.Second
	// A bank's API is one host, polled for every shopper waiting on it: keep enough connections
	// open to it (Go's default keeps 2), or each poll pays a new TCP and TLS handshake.
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 256
	if certFile != "" || caFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if certFile != "" {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("no certificates in %s", caFile)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}, nil
}

// SigningPair loads a QSealC and its RSA key (rsa-sha256 HTTP Signatures need RSA).
func SigningPair(certFile, keyFile string) (*x509.Certificate, *rsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("an RSA key is required (rsa-sha256)")
	}
	return cert, key, nil
}

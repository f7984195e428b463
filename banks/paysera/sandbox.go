package paysera

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"paybybank/banks/paysera/payseratest"
)

// tlsCert makes a short-lived self-signed certificate; nothing generated here is ever written.
func tlsCert(cn string, server bool) (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(7 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IsCA, tmpl.KeyUsage = true, tmpl.KeyUsage|x509.KeyUsageCertSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}

// SandboxAPI is the fake Paysera API on its own loopback listener with mutual TLS, as the real
// one is only reached with a client certificate.
type SandboxAPI struct {
	// URL is the API's base URL; Client holds our client certificate and trusts the listener's.
	URL    string
	Client *http.Client
	// Close stops the listener.
	Close func() error
}

// StartSandboxAPI serves f's API on a loopback listener with mutual TLS and returns a client
// configured with the certificate f trusts.
func StartSandboxAPI(f *payseratest.Fake) (*SandboxAPI, error) {
	serverCert, serverLeaf, err := tlsCert("paysera sandbox", true)
	if err != nil {
		return nil, err
	}
	clientCert, clientLeaf, err := tlsCert("paybybank sandbox QWAC", false)
	if err != nil {
		return nil, err
	}
	f.Trust(clientLeaf)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", payseratest.ServerTLS(serverCert))
	if err != nil {
		return nil, err
	}
	// The API URL ends in the real one's base path (…/xs2a/berlin/1.3), as in production. A fake
	// set to serve only under it (Forms.UnderBasePath) checks the path itself; otherwise the base
	// path is taken off here, so that one configured URL reaches the fake in every form.
	api := f.APIHandler()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, payseratest.BasePath); ok && !f.Forms.UnderBasePath && strings.HasPrefix(rest, "/") {
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = rest, ""
		}
		api.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	roots := x509.NewCertPool()
	roots.AddCert(serverLeaf)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}, MinVersion: tls.VersionTLS12}
	return &SandboxAPI{URL: "https://" + ln.Addr().String() + payseratest.BasePath,
		Client: &http.Client{Timeout: 15 * time.Second, Transport: tr}, Close: srv.Close}, nil
}

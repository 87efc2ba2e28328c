package kafka4test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// writePKI makes a throwaway CA and a server certificate it signs for 127.0.0.1 and localhost,
// valid for a day, and writes ca.pem, server.pem (the chain) and server-key.pem (PKCS #8) into
// dir. It returns the path of ca.pem.
func writePKI(dir string) (string, error) {
	fail := func(err error) (string, error) { return "", fmt.Errorf("kafka4test: test certificates: %w", err) }
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fcsync kafka4test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fail(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fail(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kafka4test broker"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fail(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fail(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPEM...)
	files := map[string][]byte{
		"ca.pem":         caPEM,
		"server.pem":     chain,
		"server-key.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fail(err)
		}
	}
	return filepath.Join(dir, "ca.pem"), nil
}

// readPEMPair reads the server's certificate chain and key as writePKI wrote them, for the
// broker's inline PEM keystore (ssl.keystore.certificate.chain and ssl.keystore.key).
func readPEMPair(dir string) (chain, key string, err error) {
	c, err := os.ReadFile(filepath.Join(dir, "server.pem"))
	if err != nil {
		return "", "", fmt.Errorf("kafka4test: %w", err)
	}
	k, err := os.ReadFile(filepath.Join(dir, "server-key.pem"))
	if err != nil {
		return "", "", fmt.Errorf("kafka4test: %w", err)
	}
	return string(c), string(k), nil
}

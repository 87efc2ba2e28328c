package kafka

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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testPKI is a throwaway CA and one broker certificate it signed.
type testPKI struct {
	caFile string
	server tls.Certificate
	pool   *x509.CertPool
}

// newPKI makes a CA and a broker certificate for the given DNS names and IPs.
func newPKI(t *testing.T, dnsNames []string, ips []net.IP) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fcsync test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: dnsNames, IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return testPKI{caFile: caFile, server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}, pool: pool}
}

func TestTLSReadsFromABrokerWhoseCertificateTheCAFileVerifies(t *testing.T) {
	matching := newPKI(t, nil, []net.IP{net.ParseIP("127.0.0.1")})
	otherHost := newPKI(t, []string{"broker.example"}, nil)
	stranger := newPKI(t, nil, []net.IP{net.ParseIP("127.0.0.1")})
	cases := []struct {
		name    string
		broker  testPKI
		props   map[string]string
		wantErr string // "" = the read succeeds
	}{
		{"CA file verifies chain and address", matching,
			map[string]string{"security.protocol": "SSL", "ssl.ca.location": matching.caFile}, ""},
		{"PEM truststore is the same as ssl.ca.location", matching,
			map[string]string{"security.protocol": "SSL", "ssl.truststore.location": matching.caFile, "ssl.truststore.type": "PEM"}, ""},
		{"certificate for another host name is refused", otherHost,
			map[string]string{"security.protocol": "SSL", "ssl.ca.location": otherHost.caFile}, "certificate"},
		{"empty endpoint identification accepts another host name", otherHost,
			map[string]string{"security.protocol": "SSL", "ssl.ca.location": otherHost.caFile, "ssl.endpoint.identification.algorithm": ""}, ""},
		{"certificate from an unknown CA is refused", stranger,
			map[string]string{"security.protocol": "SSL", "ssl.ca.location": matching.caFile}, "certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srvCfg := &tls.Config{Certificates: []tls.Certificate{c.broker.server}, MinVersion: tls.VersionTLS12}
			cl := newCluster(t, kfake.TLS(srvCfg))
			produce(t, cl, valueRecords(0, 0, 5), kgo.DialTLSConfig(&tls.Config{RootCAs: c.broker.pool, InsecureSkipVerify: true}))
			cfg, err := ConfigFromProperties(cl.ListenAddrs(), testTopic, c.props)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			kc, err := Dial(ctx, cfg)
			if c.wantErr != "" {
				if err == nil {
					kc.Close()
					t.Fatalf("Dial succeeded, want an error about the %s", c.wantErr)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Dial error %q does not mention %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			var col collector
			if _, err := kc.Read(ctx, map[int32]Range{0: {1, 5}}, col.fn); err != nil {
				t.Fatal(err)
			}
			if got := col.offsets(0); !slices.Equal(got, span(1, 5)) {
				t.Errorf("offsets %v, want 1..4", got)
			}
		})
	}
}

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
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kfake"
)

// testCA makes a CA and a server certificate for 127.0.0.1; it returns the
// server's TLS config and the CA's PEM file.
func testCA(t *testing.T) (*tls.Config, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evbench test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, caFile
}

// TestTLSAndSASL connects to a kfake broker that requires TLS and SCRAM,
// with the CA from a file and the credentials from environment variables.
func TestTLSAndSASL(t *testing.T) {
	srvTLS, caFile := testCA(t)
	c, err := StartEmbedded(kfake.TLS(srvTLS), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "alice", "wonderland"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := strings.Join(c.ListenAddrs(), ",")
	t.Setenv("EVB_KAFKA_USER", "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, pass string
		tls        *scenarios.KafkaTLS
		ok         bool
	}{
		{"tls + scram", "wonderland", &scenarios.KafkaTLS{CAFile: caFile}, true},
		{"wrong password", "looking-glass", &scenarios.KafkaTLS{CAFile: caFile}, false},
		{"unknown CA", "wonderland", &scenarios.KafkaTLS{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EVB_KAFKA_PASS", tc.pass)
			set, err := Resolve(kafkaBlock(func(k *Config) {
				k.Brokers, k.TLS = addr, tc.tls
				k.SASL = &scenarios.KafkaSASL{Mechanism: SASLScramSHA256, UsernameEnv: "EVB_KAFKA_USER", PasswordEnv: "EVB_KAFKA_PASS"}
			}), "")
			if err != nil {
				t.Fatal(err)
			}
			conn, err := set.ConnOpts(nil)
			if err != nil {
				t.Fatal(err)
			}
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			defer ccancel()
			kind, _, err := BrokerKind(cctx, addr, conn[1:]...) // conn[0] is the seeds
			if tc.ok && err != nil {
				t.Fatalf("connect: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("connected (%s), want a failure", kind)
			}
			if err != nil && strings.Contains(err.Error(), tc.pass) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

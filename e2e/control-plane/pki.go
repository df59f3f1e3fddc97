package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ensurePKI makes, once per directory, the CA, the apiserver's serving certificate, the client certificates and the
// ServiceAccount token signing key. Existing files are kept, so a restarted control plane keeps its identity and
// the tokens it issued. ECDSA P-256 throughout (quick to generate; kube-apiserver accepts ES256 token keys).
func ensurePKI(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "sa.pub")); err == nil {
		return nil
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kubelocal-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePair(dir, "ca", caDER, caKey); err != nil {
		return err
	}
	leaf := func(name, cn string, orgs []string, usage x509.ExtKeyUsage, dns []string, ips []net.IP) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		template := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: cn, Organization: orgs},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().AddDate(10, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     dns,
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		return writePair(dir, name, der, key)
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}
	if err := leaf("apiserver", "kube-apiserver", nil, x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"}, loopback); err != nil {
		return err
	}
	// The local kubelet serves pod logs on loopback with a certificate of this CA, as a kubelet's serving cert.
	if err := leaf("kubelet", "system:node:kubelocal", []string{"system:nodes"}, x509.ExtKeyUsageServerAuth,
		[]string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		return err
	}
	if err := leaf("admin", "kubelocal-admin", []string{"system:masters"}, x509.ExtKeyUsageClientAuth, nil,
		nil); err != nil {
		return err
	}
	if err := leaf("apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"},
		x509.ExtKeyUsageClientAuth, nil, nil); err != nil {
		return err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	saPriv, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "sa.key"), "EC PRIVATE KEY", saPriv); err != nil {
		return err
	}
	// sa.pub last: its presence says the directory is complete.
	return writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", saPub)
}

// writePair writes a certificate and its key (SEC 1, which the fabric8 client reads in kubeconfigs), and the key
// also as PKCS #8 (NAME.pkcs8.key), which the JDK reads as it stands: the local kubelet serves pod logs with its pair.
func writePair(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, name+".pkcs8.key"), "PRIVATE KEY", pkcs8); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, name+".key"), "EC PRIVATE KEY", keyDER); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err)
	}
	return n
}

// writeKubeconfig writes the admin kubeconfig, certificates inline, for kubectl, the tests and local mode.
func writeKubeconfig(path, server, pki string) error {
	read := func(name string) (string, error) {
		data, err := os.ReadFile(filepath.Join(pki, name))
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(data), nil
	}
	ca, err1 := read("ca.crt")
	cert, err2 := read("admin.crt")
	key, err3 := read("admin.key")
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubelocal
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: kubelocal-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubelocal
  context:
    cluster: kubelocal
    user: kubelocal-admin
current-context: kubelocal
`, server, ca, cert, key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(config), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Command pki writes the certificates and keys one test cluster needs: a CA, a serving
// certificate shared by etcd and kube-apiserver (both listen on 127.0.0.1 only), a client
// certificate kube-apiserver uses towards etcd, one client certificate per kubeconfig
// user, and the service-account signing key pair.
//
// It uses only the standard library so that it builds in a second and needs nothing from
// the module proxy. Running it again over a complete, still-valid set is a no-op, so the
// harness can call it on every start.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// validity is short on purpose: these are throwaway test credentials, and a set close to
// expiry is replaced on the next start (see renewBefore).
const (
	validity    = 365 * 24 * time.Hour
	renewBefore = 7 * 24 * time.Hour
)

// user is one client identity: the file stem, the user name (certificate CN) and the
// groups (certificate O entries) kube-apiserver will see.
type user struct {
	file   string
	name   string
	groups []string
}

// userList collects repeated -user flags of the form file=name[/group,group]. The slash,
// not a colon, separates the groups: Kubernetes' own identities have colons in their names
// (system:kube-scheduler).
type userList []user

func (u *userList) String() string { return fmt.Sprint(*u) }

func (u *userList) Set(v string) error {
	file, rest, ok := strings.Cut(v, "=")
	if !ok || file == "" || rest == "" {
		return fmt.Errorf("-user %q: expected file=name[/group,group]", v)
	}
	name, groups, _ := strings.Cut(rest, "/")
	var gs []string
	if groups != "" {
		gs = strings.Split(groups, ",")
	}
	*u = append(*u, user{file: file, name: name, groups: gs})
	return nil
}

func main() {
	dir := flag.String("dir", "", "folder to write into (created if missing)")
	force := flag.Bool("force", false, "regenerate even if a valid set exists")
	var users userList
	flag.Var(&users, "user", "client identity file=name[/group,group] (repeatable)")
	flag.Parse()
	if *dir == "" {
		fail(errors.New("-dir is required"))
	}
	if err := run(*dir, users, *force); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pki:", err)
	os.Exit(2)
}

func run(dir string, users userList, force bool) error {
	want := []string{"ca.crt", "ca.key", "server.crt", "server.key", "etcd-client.crt", "etcd-client.key", "sa.key", "sa.pub"}
	for _, u := range users {
		want = append(want, u.file+".crt", u.file+".key")
	}
	if !force && complete(dir, want) && identitiesMatch(dir, users) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	caKey, err := newKey()
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "mr-drift test cluster CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caCert, err := sign(caTmpl, caKey, nil, caKey, dir, "ca")
	if err != nil {
		return err
	}

	// One serving certificate for both etcd and kube-apiserver; the in-cluster service
	// names are included so that a client using them would also verify.
	serverTmpl := leaf(now, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth)
	serverTmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	serverTmpl.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	if err := issue(serverTmpl, caCert, caKey, dir, "server"); err != nil {
		return err
	}
	etcdClient := leaf(now, pkix.Name{CommonName: "kube-apiserver-etcd-client"}, x509.ExtKeyUsageClientAuth)
	if err := issue(etcdClient, caCert, caKey, dir, "etcd-client"); err != nil {
		return err
	}
	for _, u := range users {
		t := leaf(now, pkix.Name{CommonName: u.name, Organization: u.groups}, x509.ExtKeyUsageClientAuth)
		if err := issue(t, caCert, caKey, dir, u.file); err != nil {
			return err
		}
	}

	saKey, err := newKey()
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, "sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", pub, 0o644)
}

// complete reports whether every wanted file exists and the CA outlives renewBefore.
// The CA and leaves are always written together, so checking the CA is enough.
func complete(dir string, want []string) bool {
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return false
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return false
	}
	return time.Until(cert.NotAfter) > renewBefore
}

// identitiesMatch reports whether each user's certificate names the user and groups asked
// for, so that a changed identity (or an earlier mistake) gets new certificates.
func identitiesMatch(dir string, users userList) bool {
	for _, u := range users {
		raw, err := os.ReadFile(filepath.Join(dir, u.file+".crt"))
		if err != nil {
			return false
		}
		block, _ := pem.Decode(raw)
		if block == nil {
			return false
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil || cert.Subject.CommonName != u.name {
			return false
		}
		if strings.Join(cert.Subject.Organization, ",") != strings.Join(u.groups, ",") {
			return false
		}
	}
	return true
}

func leaf(now time.Time, subject pkix.Name, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		Subject:     subject,
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(validity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
}

func issue(tmpl, ca *x509.Certificate, caKey crypto.Signer, dir, stem string) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	_, err = sign(tmpl, key, ca, caKey, dir, stem)
	return err
}

// sign creates the certificate for key's public half, signed by parentKey (self-signed
// when parent is nil), and writes stem.crt and stem.key.
func sign(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey crypto.Signer, dir, stem string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("%s.crt: %w", stem, err)
	}
	if err := writeKey(filepath.Join(dir, stem+".key"), key); err != nil {
		return nil, err
	}
	if err := writePEM(filepath.Join(dir, stem+".crt"), "CERTIFICATE", der, 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// writePEM writes through a temporary file and a rename, so a crash never leaves a
// half-written key that a later run would take as complete.
func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// pulumi-resource-tls for the engine e2e: the four tls resources the program uses (PrivateKey,
// SelfSignedCert, CertRequest, LocallySignedCert), made as terraform-provider-tls does
// (internal/provider: resource_private_key.go, common_cert.go createCertificate,
// resource_cert_request.go, resource_locally_signed_cert.go): PKCS#1 "RSA PRIVATE KEY" / SEC1
// "EC PRIVATE KEY" PEM plus PKCS#8 and OpenSSH forms; certificates with a random 128-bit serial,
// NotBefore now, NotAfter now + validity_period_hours, key usages from allowed_uses, basic
// constraints always set, a subject key id on CA certificates. See ../kit for why this is not the
// bridged provider.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5" //nolint:gosec // the provider's public_key_fingerprint_md5
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // subject key id, RFC 5280 method 1, as the provider
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"

	"registry-topology/engine/cli/providers/kit"
)

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func createKey(in resource.PropertyMap) (string, resource.PropertyMap, error) {
	var priv crypto.Signer
	var keyPem string
	switch alg := kit.Str(in, "algorithm"); alg {
	case "RSA":
		k, err := rsa.GenerateKey(rand.Reader, int(kit.Num(in, "rsaBits", 2048)))
		if err != nil {
			return "", nil, err
		}
		priv, keyPem = k, pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	case "ECDSA":
		curves := map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}
		c, ok := curves[kit.Str(in, "ecdsaCurve")]
		if !ok {
			return "", nil, fmt.Errorf("invalid ecdsa_curve %q", kit.Str(in, "ecdsaCurve"))
		}
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return "", nil, err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", nil, err
		}
		priv, keyPem = k, pemOf("EC PRIVATE KEY", der)
	default:
		return "", nil, fmt.Errorf("invalid algorithm %q (this build: RSA, ECDSA)", alg)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", nil, err
	}
	pubDer, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", nil, err
	}
	sshPub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return "", nil, err
	}
	sshPriv, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return "", nil, err
	}
	md5sum := md5.Sum(sshPub.Marshal()) //nolint:gosec
	var hexParts []string
	for _, b := range md5sum {
		hexParts = append(hexParts, hex.EncodeToString([]byte{b}))
	}
	sha := sha256.Sum256(sshPub.Marshal())
	pubPem := pemOf("PUBLIC KEY", pubDer)
	return hashID(pubPem), resource.PropertyMap{
		"privateKeyPem":              resource.NewProperty(keyPem),
		"privateKeyPemPkcs8":         resource.NewProperty(pemOf("PRIVATE KEY", pkcs8)),
		"privateKeyOpenssh":          resource.NewProperty(string(pem.EncodeToMemory(sshPriv))),
		"publicKeyPem":               resource.NewProperty(pubPem),
		"publicKeyOpenssh":           resource.NewProperty(string(ssh.MarshalAuthorizedKey(sshPub))),
		"publicKeyFingerprintMd5":    resource.NewProperty(strings.Join(hexParts, ":")),
		"publicKeyFingerprintSha256": resource.NewProperty("SHA256:" + base64.RawStdEncoding.EncodeToString(sha[:])),
	}, nil
}

func hashID(s string) string {
	sum := sha1.Sum([]byte(s)) //nolint:gosec // the provider's ids are hashes of the PEM
	return hex.EncodeToString(sum[:])
}

func parseKey(p string) (crypto.Signer, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("failed to decode PEM block containing private key")
	}
	switch b.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("unsupported private key type")
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported private key PEM type %q", b.Type)
}

func subject(in resource.PropertyMap) pkix.Name {
	var n pkix.Name
	v, ok := in["subject"]
	if !ok || !v.IsObject() {
		return n
	}
	s := v.ObjectValue()
	one := func(k string) []string {
		if x := kit.Str(s, k); x != "" {
			return []string{x}
		}
		return nil
	}
	n.CommonName = kit.Str(s, "commonName")
	n.Organization = one("organization")
	n.OrganizationalUnit = one("organizationalUnit")
	n.StreetAddress = kit.Strs(s, "streetAddresses")
	n.Locality = one("locality")
	n.Province = one("province")
	n.Country = one("country")
	n.PostalCode = one("postalCode")
	n.SerialNumber = kit.Str(s, "serialNumber")
	return n
}

func sans(in resource.PropertyMap) ([]string, []net.IP, error) {
	var ips []net.IP
	for _, s := range kit.Strs(in, "ipAddresses") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, nil, fmt.Errorf("invalid IP address %q", s)
		}
		ips = append(ips, ip)
	}
	return kit.Strs(in, "dnsNames"), ips, nil
}

var keyUsages = map[string]x509.KeyUsage{
	"digital_signature": x509.KeyUsageDigitalSignature, "content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment": x509.KeyUsageKeyEncipherment, "data_encipherment": x509.KeyUsageDataEncipherment,
	"key_agreement": x509.KeyUsageKeyAgreement, "cert_signing": x509.KeyUsageCertSign,
	"crl_signing": x509.KeyUsageCRLSign, "encipher_only": x509.KeyUsageEncipherOnly, "decipher_only": x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended": x509.ExtKeyUsageAny, "server_auth": x509.ExtKeyUsageServerAuth, "client_auth": x509.ExtKeyUsageClientAuth,
	"code_signing": x509.ExtKeyUsageCodeSigning, "email_protection": x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system": x509.ExtKeyUsageIPSECEndSystem, "ipsec_tunnel": x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user": x509.ExtKeyUsageIPSECUser, "timestamping": x509.ExtKeyUsageTimeStamping,
	"ocsp_signing": x509.ExtKeyUsageOCSPSigning, "microsoft_server_gated_crypto": x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto": x509.ExtKeyUsageNetscapeServerGatedCrypto,
}

// createCert signs template fields from the inputs (common_cert.go createCertificate).
func createCert(in resource.PropertyMap, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, signer crypto.Signer) (string, resource.PropertyMap, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", nil, err
	}
	now := time.Now().UTC()
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now
	tmpl.NotAfter = now.Add(time.Duration(kit.Num(in, "validityPeriodHours", 0)) * time.Hour)
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = kit.Bool(in, "isCaCertificate", false)
	for _, u := range kit.Strs(in, "allowedUses") {
		if k, ok := keyUsages[u]; ok {
			tmpl.KeyUsage |= k
		} else if e, ok := extKeyUsages[u]; ok {
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, e)
		} else {
			return "", nil, fmt.Errorf("invalid allowed_uses value %q", u)
		}
	}
	pubDer, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", nil, err
	}
	if tmpl.IsCA || kit.Bool(in, "setSubjectKeyId", false) {
		var spki struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1BitString
		}
		if _, err := asn1Unmarshal(pubDer, &spki); err == nil {
			sum := sha1.Sum(spki.PublicKey.Bytes) //nolint:gosec
			tmpl.SubjectKeyId = sum[:]
		}
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return "", nil, fmt.Errorf("error creating certificate: %w", err)
	}
	early := time.Duration(kit.Num(in, "earlyRenewalHours", 0)) * time.Hour
	return serial.String(), resource.PropertyMap{
		"certPem":           resource.NewProperty(pemOf("CERTIFICATE", der)),
		"validityStartTime": resource.NewProperty(tmpl.NotBefore.Format(time.RFC3339)),
		"validityEndTime":   resource.NewProperty(tmpl.NotAfter.Format(time.RFC3339)),
		"readyForRenewal":   resource.NewProperty(!now.Before(tmpl.NotAfter.Add(-early))),
	}, nil
}

func algorithmOf(k crypto.PublicKey) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	}
	return "ED25519"
}

func certDefaults(in resource.PropertyMap) {
	kit.SetDefault(in, "earlyRenewalHours", 0.0)
	kit.SetDefault(in, "isCaCertificate", false)
	kit.SetDefault(in, "setSubjectKeyId", false)
}

func main() {
	certOutputs := []string{"certPem", "validityStartTime", "validityEndTime", "readyForRenewal", "keyAlgorithm", "caKeyAlgorithm"}
	kit.Serve("tls", version.Version, map[string]kit.Resource{
		"tls:index/privateKey:PrivateKey": {
			Defaults: func(in resource.PropertyMap) {
				kit.SetDefault(in, "rsaBits", 2048.0)
				kit.SetDefault(in, "ecdsaCurve", "P224")
			},
			Create:   createKey,
			Computed: []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"},
			Secret:   []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"},
		},
		"tls:index/selfSignedCert:SelfSignedCert": {
			Defaults: certDefaults,
			Create: func(in resource.PropertyMap) (string, resource.PropertyMap, error) {
				key, err := parseKey(kit.Str(in, "privateKeyPem"))
				if err != nil {
					return "", nil, err
				}
				dns, ips, err := sans(in)
				if err != nil {
					return "", nil, err
				}
				tmpl := &x509.Certificate{Subject: subject(in), DNSNames: dns, IPAddresses: ips}
				id, out, err := createCert(in, tmpl, key.Public(), nil, key)
				if err == nil {
					out["keyAlgorithm"] = resource.NewProperty(algorithmOf(key.Public()))
				}
				return id, out, err
			},
			Computed: certOutputs,
			Secret:   []string{"privateKeyPem"},
		},
		"tls:index/certRequest:CertRequest": {
			Create: func(in resource.PropertyMap) (string, resource.PropertyMap, error) {
				key, err := parseKey(kit.Str(in, "privateKeyPem"))
				if err != nil {
					return "", nil, err
				}
				dns, ips, err := sans(in)
				if err != nil {
					return "", nil, err
				}
				der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject(in), DNSNames: dns, IPAddresses: ips}, key)
				if err != nil {
					return "", nil, fmt.Errorf("error creating certificate request: %w", err)
				}
				p := pemOf("CERTIFICATE REQUEST", der)
				return hashID(p), resource.PropertyMap{
					"certRequestPem": resource.NewProperty(p),
					"keyAlgorithm":   resource.NewProperty(algorithmOf(key.Public())),
				}, nil
			},
			Computed: []string{"certRequestPem", "keyAlgorithm"},
			Secret:   []string{"privateKeyPem"},
		},
		"tls:index/locallySignedCert:LocallySignedCert": {
			Defaults: certDefaults,
			Create: func(in resource.PropertyMap) (string, resource.PropertyMap, error) {
				caKey, err := parseKey(kit.Str(in, "caPrivateKeyPem"))
				if err != nil {
					return "", nil, err
				}
				cb, _ := pem.Decode([]byte(kit.Str(in, "caCertPem")))
				if cb == nil {
					return "", nil, errors.New("failed to decode ca_cert_pem")
				}
				ca, err := x509.ParseCertificate(cb.Bytes)
				if err != nil {
					return "", nil, err
				}
				rb, _ := pem.Decode([]byte(kit.Str(in, "certRequestPem")))
				if rb == nil {
					return "", nil, errors.New("failed to decode cert_request_pem")
				}
				csr, err := x509.ParseCertificateRequest(rb.Bytes)
				if err != nil {
					return "", nil, err
				}
				tmpl := &x509.Certificate{Subject: csr.Subject, DNSNames: csr.DNSNames, IPAddresses: csr.IPAddresses, URIs: csr.URIs}
				id, out, err := createCert(in, tmpl, csr.PublicKey, ca, caKey)
				if err == nil {
					out["caKeyAlgorithm"] = resource.NewProperty(algorithmOf(caKey.Public()))
				}
				return id, out, err
			},
			Computed: certOutputs,
			Secret:   []string{"caPrivateKeyPem"},
		},
	})
}

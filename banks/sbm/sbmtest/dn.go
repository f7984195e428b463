package sbmtest

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// IssuerDN is the certificate's issuer as the string the keyId's CA part must carry: the
// "full Distinguished Name of the Certificate Authority" (seed 004, Start payment
// authorisation, Signature header) written as RFC 4514 prescribes, from the raw issuer DER so
// that nothing is reordered or re-encoded:
//   - RDNs from the last of the ASN.1 sequence to the first, joined by "," (RFC 4514 §2.1),
//     the attributes of a multi-valued RDN joined by "+" in their encoded order (§2.2);
//   - the short names of RFC 4514 §3 (CN, L, ST, O, OU, C, STREET, DC, UID) for those types,
//     every other type in dotted decimal with the value as "#" and the hex of its BER encoding
//     (§2.3, §2.4), which keeps the original string type: the seed's own example starts
//     "CA=2.5.4.97=#0c…", an organizationIdentifier in exactly this form;
//   - string values decoded to UTF-8 and escaped per §2.4; non-ASCII letters such as "ø" are
//     left as they are (hence the RFC 2047 encoding of the whole Signature header).
//
// It is written here, apart from banks/httpsig, so the fake checks the connector against a
// second reading rather than against the connector's own encoder. pkix.Name.String() must
// not be used: it groups attributes by type (losing the certificate's order and multi-valued
// RDNs) and re-marshals unknown values.
func IssuerDN(cert *x509.Certificate) (string, error) {
	return rfc4514(cert.RawIssuer)
}

// shortNames are the attribute types RFC 4514 §3 names; all others are written as OIDs.
var shortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.6":                    "C",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// atv is one AttributeTypeAndValue with its value kept as raw DER.
type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

func rfc4514(rawName []byte) (string, error) {
	var rdns []asn1.RawValue
	rest, err := asn1.Unmarshal(rawName, &rdns)
	if err != nil || len(rest) != 0 {
		return "", errors.New("issuer is not a DER RDNSequence")
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		if rdns[i].Tag != asn1.TagSet {
			return "", errors.New("issuer RDN is not a SET")
		}
		var atvs []string
		for b := rdns[i].Bytes; len(b) > 0; {
			var a atv
			b, err = asn1.Unmarshal(b, &a)
			if err != nil {
				return "", fmt.Errorf("issuer attribute: %w", err)
			}
			atvs = append(atvs, attribute(a))
		}
		parts = append(parts, strings.Join(atvs, "+"))
	}
	return strings.Join(parts, ","), nil
}

func attribute(a atv) string {
	oid := a.Type.String()
	name, known := shortNames[oid]
	if known && a.Value.Class == asn1.ClassUniversal {
		if s, ok := decodeString(a.Value); ok {
			return name + "=" + escape(s)
		}
	}
	if !known {
		name = oid
	}
	return name + "=#" + hex.EncodeToString(a.Value.FullBytes)
}

// decodeString reads the directory string types a DN uses; anything else is written in hex.
func decodeString(v asn1.RawValue) (string, bool) {
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, 26 /* VisibleString */ :
		return string(v.Bytes), utf8.Valid(v.Bytes)
	case asn1.TagT61String: // in practice Latin-1
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// escape applies RFC 4514 §2.4: the special characters anywhere, a leading space or "#", a
// trailing space, and NUL.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == 0:
			b.WriteString(`\00`)
		case (c == ' ' || c == '#') && i == 0, c == ' ' && i == len(s)-1:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

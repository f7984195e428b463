package httpsig

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

// IssuerDN writes a certificate's issuer as an RFC 4514 string, the "full Distinguished Name of
// the Certificate Authority" a keyId's CA part names (seed 004). It reads the raw issuer DER, not
// pkix.Name, because pkix.Name.String() moves attributes it has no name for (organizationIdentifier,
// 2.5.4.97, which every qualified trust service provider's CA name carries) to the end, groups a
// multi-valued RDN's attributes by type and re-encodes unknown values; a bank that builds the
// string from the certificate it is sent would then refuse every request.
//
// The string is RFC 4514's: RDNs from the last of the sequence to the first (§2.1), the
// attributes of a multi-valued RDN joined by "+" in their encoded order (§2.2), the short names
// of §3 for their types and every other type as its dotted OID with "#" and the hex of the value's
// original DER (§2.4), which the seed's example shows ("CA=2.5.4.97=#0c…"); string values are
// escaped per §2.4 and non-ASCII letters (ø) kept as UTF-8.
func IssuerDN(cert *x509.Certificate) (string, error) {
	if len(cert.RawIssuer) == 0 {
		return "", errors.New("httpsig: certificate has no raw issuer")
	}
	var rdns []asn1.RawValue // RDNSequence: SEQUENCE OF SET OF AttributeTypeAndValue
	rest, err := asn1.Unmarshal(cert.RawIssuer, &rdns)
	if err != nil || len(rest) > 0 {
		return "", fmt.Errorf("httpsig: issuer is not a DER RDNSequence: %v", err)
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		rdn := rdns[i]
		if rdn.Class != asn1.ClassUniversal || rdn.Tag != asn1.TagSet {
			return "", errors.New("httpsig: issuer RDN is not a SET")
		}
		var attrs []string
		for b := rdn.Bytes; len(b) > 0; {
			var atv struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}
			if b, err = asn1.Unmarshal(b, &atv); err != nil {
				return "", fmt.Errorf("httpsig: issuer attribute: %w", err)
			}
			attrs = append(attrs, writeAttribute(atv.Type, atv.Value))
		}
		parts = append(parts, strings.Join(attrs, "+"))
	}
	return strings.Join(parts, ","), nil
}

// rfc4514Names are the attribute types RFC 4514 §3 gives short names; the others go as OIDs.
var rfc4514Names = map[string]string{
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

func writeAttribute(typ asn1.ObjectIdentifier, v asn1.RawValue) string {
	name, short := rfc4514Names[typ.String()]
	if short {
		if s, ok := directoryString(v); ok {
			return name + "=" + escapeValue(s)
		}
	} else {
		name = typ.String()
	}
	return name + "=#" + hex.EncodeToString(v.FullBytes)
}

// directoryString decodes the string types a DN's values use; a value of any other type is
// written in hex (RFC 4514 §2.4).
func directoryString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, 26: // 26: VisibleString
		return string(v.Bytes), utf8.Valid(v.Bytes)
	case asn1.TagT61String: // TeletexString, Latin-1 in practice
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString: // UCS-2, big-endian
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

// escapeValue escapes a string value per RFC 4514 §2.4: `"+,;<>\` anywhere, a leading space or
// "#", a trailing space, and NUL. Other characters, non-ASCII ones included, stay as they are.
func escapeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(`"+,;<>\`, c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(s)-1 && c == ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == 0:
			b.WriteString(`\00`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

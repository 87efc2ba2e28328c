package runlog

import (
	"regexp"
	"strings"
)

// Mask replaces every redacted value.
const Mask = "***"

// minSecret is the shortest exact secret value Redact replaces: shorter values would mask
// ordinary words and numbers.
const minSecret = 4

var (
	// key=value, key: value, "key":"value" where the key names a secret. The key may be part of a
	// longer name (sasl.password, access_token, AccessKeySecret, x-oss-signature).
	secretPair = regexp.MustCompile(`(?i)\b((?:[\w.-]*(?:password|passwd|pwd|secret|token|signature|credential|authorization|jaas\.config|private[_-]?key)[\w.-]*|sign|ak|sk)"?\s*[=:]\s*"?)([^\s"&,;'}]+)`)
	// scheme://user:password@host
	userInfo = regexp.MustCompile(`(://[^/\s:@]+:)([^/\s@]+)@`)
	// Bearer / Basic authorization values.
	authValue = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}`)
)

// Redact returns text with secrets masked: the values of key=value pairs whose key names a secret
// (password, secret, token, signature, credential, authorization, sasl jaas config, private key,
// sign), the password of URL user info, bearer and basic authorization values, and every
// occurrence of the given secret values (those shorter than 4 bytes are ignored).
func Redact(text string, secrets ...string) string {
	if text == "" {
		return text
	}
	for _, s := range secrets {
		if len(s) >= minSecret {
			text = strings.ReplaceAll(text, s, Mask)
		}
	}
	text = userInfo.ReplaceAllString(text, "${1}"+Mask+"@")
	text = authValue.ReplaceAllString(text, "${1} "+Mask)
	text = secretPair.ReplaceAllStringFunc(text, func(m string) string {
		sub := secretPair.FindStringSubmatch(m)
		if sub[2] == Mask {
			return m
		}
		return sub[1] + Mask
	})
	return text
}

// Redacted returns a copy of r whose free text (the error) has secrets masked by Redact.
func (r Record) Redacted(secrets ...string) Record {
	r.Error = Redact(r.Error, secrets...)
	if len(r.Warnings) > 0 {
		w := make([]string, len(r.Warnings))
		for i, s := range r.Warnings {
			w[i] = Redact(s, secrets...)
		}
		r.Warnings = w
	}
	return r
}

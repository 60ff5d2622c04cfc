package forum

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name, raw, want string
		valid           bool
	}{
		{"plain", "alice@example.com", "alice@example.com", true},
		{"trimmed", "  alice@example.com\n", "alice@example.com", true},
		{"domain lower-cased, local part kept", "Alice.Martin@Example.COM", "Alice.Martin@example.com", true},
		{"plus tag", "alice+forum@example.com", "alice+forum@example.com", true},
		{"subdomain", "a@mail.example.co.uk", "a@mail.example.co.uk", true},
		{"unicode", "Zoë@Bücher.DE", "Zoë@bücher.de", true},
		{"max length", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", true},

		{"empty", "", "", false},
		{"blank", "   ", "", false},
		{"no at", "alice.example.com", "", false},
		{"no local part", "@example.com", "", false},
		{"no domain", "alice@", "", false},
		{"two ats", "alice@bob@example.com", "", false},
		{"no dot in domain", "alice@localhost", "", false},
		{"address literal", "alice@[192.0.2.1]", "", false},
		{"display name", "Alice <alice@example.com>", "", false},
		{"angle brackets", "<alice@example.com>", "", false},
		{"comment", "alice@example.com (Alice)", "", false},
		{"quoted local part", `"alice smith"@example.com`, "", false},
		{"quoted plain local part", `"alice"@example.com`, "", false},
		{"two addresses", "a@example.com, b@example.com", "", false},
		{"inner space", "ali ce@example.com", "", false},
		{"double dot", "alice..m@example.com", "", false},
		{"trailing dot", "alice@example.com.", "", false},
		{"header injection", "alice@example.com\r\nBcc: eve@example.com", "", false},
		{"nul", "alice\x00@example.com", "", false},
		{"invalid utf-8", "al\xffice@example.com", "", false},
		{"local part over 64", strings.Repeat("a", 65) + "@example.com", "", false},
		{"over 254 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.raw)
			if !tt.valid {
				if err == nil {
					t.Fatalf("NormalizeEmail(%q) = %q, want an error", tt.raw, got)
				}
				if fe := AsError(err); fe.Code != EINVALID || fe.Key != "member.email_invalid" || fe.Field != "email" {
					t.Errorf("NormalizeEmail(%q) error %v, want member.email_invalid on field email", tt.raw, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
			if again, err := NormalizeEmail(got); err != nil || again != got {
				t.Errorf("NormalizeEmail is not idempotent on %q: %q, %v", got, again, err)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	a, _ := NormalizeEmail("Alice.Martin@Example.com")
	b, _ := NormalizeEmail("alice.martin@EXAMPLE.COM")
	if a == b {
		t.Fatalf("the local part's case was not kept: %q", a)
	}
	if EmailKey(a) != EmailKey(b) || EmailKey(a) != "alice.martin@example.com" {
		t.Errorf("EmailKey(%q) = %q, EmailKey(%q) = %q; want both alice.martin@example.com", a, EmailKey(a), b, EmailKey(b))
	}
}

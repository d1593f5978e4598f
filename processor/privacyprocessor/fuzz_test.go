package privacyprocessor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact: any input is handled without panicking; valid UTF-8 stays
// valid and a valid JSON document stays valid JSON.
func FuzzRedact(f *testing.F) {
	for _, name := range []string{"openai_chat.json", "anthropic_messages.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		"jane@example.com", `"\njane@example.com"`, `"\u00e9a@b.io"`, "AKIAIOSFODNN7EXAMPLE",
		"4111 1111 1111 1111", `{"n":4111111111111111}`, "[-4111111111111111]", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx",
		"Bearer abcdefghijklmnopqrstuvwxyz", "eyJhbGciOi.eyJzdWIiOi.sig", "\xff@\xfe.com", "EMP-123456",
	} {
		f.Add(s)
	}
	r := allDetectors(f, PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`})
	f.Fuzz(func(t *testing.T, in string) {
		sc := newScratch(r)
		out, changed := r.redact(in, sc)
		if !changed && out != in {
			t.Fatalf("unchanged but different: %q -> %q", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("valid UTF-8 became invalid: %q -> %q", in, out)
		}
		// A JSON document (object or array, as message content is) stays
		// valid; a bare scalar is plain text and masked as such.
		if looksLikeJSON(in) && json.Valid([]byte(in)) && !json.Valid([]byte(out)) {
			t.Fatalf("valid JSON became invalid: %q -> %q", in, out)
		}
		if changed && !strings.Contains(out, "[REDACTED:") {
			t.Fatalf("changed without a replacement: %q -> %q", in, out)
		}
	})
}

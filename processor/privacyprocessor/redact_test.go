package privacyprocessor

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func allDetectors(t testing.TB, patterns ...PatternConfig) *redactor {
	t.Helper()
	r, err := newRedactor(DetectorsConfig{Email: true, APIKey: true, Card: true}, patterns)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newScratch(r *redactor) *scratch { return &scratch{counts: make([]int64, len(r.names))} }

// TestRedactCases covers each detector's matches and the near misses that
// must stay as they are.
func TestRedactCases(t *testing.T) {
	r := allDetectors(t, PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`})
	tests := []struct{ name, in, want string }{
		{"email", "mail jane.doe+agents@example.co.uk today", "mail [REDACTED:email] today"},
		{"email at sentence end", "write to ops@acme.io.", "write to [REDACTED:email]."},
		{"email after JSON newline escape", `"hi\njane@example.com"`, `"hi\n[REDACTED:email]"`},
		{"email after JSON unicode escape", `"\u00e9jane@example.com"`, `"\u00e9[REDACTED:email]"`},
		{"spelled-out email", "user at example dot com", "user at example dot com"},
		{"decorator and handle", "@property and @jane and a@b.c", "@property and @jane and a@b.c"},
		{"openai project key", "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab-CdEf done", "key [REDACTED:api_key] done"},
		{"openai legacy key", "sk-ZbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh", "[REDACTED:api_key]"},
		{"anthropic key", `"sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKl-AAAA"`, `"[REDACTED:api_key]"`},
		{"key after JSON newline", `"key:\nsk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w"`, `"key:\n[REDACTED:api_key]"`},
		{"aws access key id", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=[REDACTED:api_key]"},
		{"aws temporary key id", "id ASIAY34FZKBOKMUTVV7A,", "id [REDACTED:api_key],"},
		{"github token", "token ghp_1234567890abcdefghijABCDEFGHIJ123456", "token [REDACTED:api_key]"},
		{"github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED:api_key]"},
		{"slack bot token", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[REDACTED:api_key]"},
		{"google api key", "AIzaSyA-1234567890abcdefghijklmnopqrstu", "[REDACTED:api_key]"},
		{"stripe live key", "sk_live_51H8abcdefghijklmnopqrstuv", "[REDACTED:api_key]"},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "[REDACTED:api_key]"},
		{"bearer token", "Authorization: Bearer 0123456789abcdefABCDEF.xyz", "Authorization: Bearer [REDACTED:api_key]"},
		{"scikit-learn and sk-short", "pip install scikit-learn; sk-test", "pip install scikit-learn; sk-test"},
		{"risk- is not sk-", "risk-AbCdEfGhIjKlMnOpQrStUvWxYz", "risk-AbCdEfGhIjKlMnOpQrStUvWxYz"},
		{"AKIA too short", "AKIAIOSFODNN7EXAMP is not a key", "AKIAIOSFODNN7EXAMP is not a key"},
		{"visa spaced", "card 4111 1111 1111 1111 exp 12/29", "card [REDACTED:card] exp 12/29"},
		{"visa dashed", "4111-1111-1111-1111", "[REDACTED:card]"},
		{"visa plain", "n=4111111111111111;", "n=[REDACTED:card];"},
		{"amex", "amex 3782 822463 10005 ok", "amex [REDACTED:card] ok"},
		{"card then expiry", "4111 1111 1111 1111 12/29", "[REDACTED:card] 12/29"},
		{"card then cvv", "pay with 4111 1111 1111 1111 123 please", "pay with [REDACTED:card] 123 please"},
		{"card after a quantity", "qty 2 4111-1111-1111-1111", "qty 2 [REDACTED:card]"},
		{"number list", "years 2021 2022 2023 2024 2025", "years 2021 2022 2023 2024 2025"},
		{"card as JSON number", `{"card":4111111111111111}`, `{"card":"[REDACTED:card]"}`},
		{"order id fails luhn", "order 1234567812345678 shipped", "order 1234567812345678 shipped"},
		{"unix nano timestamp", "ts=1732540800123456789 end", "ts=1732540800123456789 end"},
		{"unix micro timestamp", "ts 1732540800123456 end", "ts 1732540800123456 end"},
		{"iso timestamp", "at 2026-11-25T14:23:47.123456789Z", "at 2026-11-25T14:23:47.123456789Z"},
		{"version string", "go1.26.0 v0.165.0 1.71.0-rc.1", "go1.26.0 v0.165.0 1.71.0-rc.1"},
		{"uuid", "id 4111e111-1111-4111-8111-111111111111", "id 4111e111-1111-4111-8111-111111111111"},
		{"digits inside a word", "x4111111111111111 4111111111111111x", "x4111111111111111 4111111111111111x"},
		{"fraction", "0.4111111111111111", "0.4111111111111111"},
		{"custom pattern", "ticket for EMP-004211 and EMP-12", "ticket for [REDACTED:employee_id] and EMP-12"},
		{"overlap merges", "from EMP-123456@corp.example.com.", "from [REDACTED:email]."},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := r.redact(tt.in, newScratch(r))
			if got != tt.want {
				t.Errorf("redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if changed != (tt.in != tt.want) {
				t.Errorf("changed = %v", changed)
			}
		})
	}
}

// TestCustomPatternShortValue: custom patterns also run on values shorter
// than any built-in detector's match.
func TestCustomPatternShortValue(t *testing.T) {
	r := allDetectors(t, PatternConfig{Name: "pin", Regex: `PIN\d{2}`})
	if got, _ := r.redact("PIN12", newScratch(r)); got != "[REDACTED:pin]" {
		t.Fatalf("got %q", got)
	}
}

// TestDetectorsSwitch: a detector switched off leaves its matches alone.
func TestDetectorsSwitch(t *testing.T) {
	in := "jane@example.com AKIAIOSFODNN7EXAMPLE 4111 1111 1111 1111"
	for _, tt := range []struct {
		d    DetectorsConfig
		want string
	}{
		{DetectorsConfig{Email: true}, "[REDACTED:email] AKIAIOSFODNN7EXAMPLE 4111 1111 1111 1111"},
		{DetectorsConfig{APIKey: true}, "jane@example.com [REDACTED:api_key] 4111 1111 1111 1111"},
		{DetectorsConfig{Card: true}, "jane@example.com AKIAIOSFODNN7EXAMPLE [REDACTED:card]"},
		{DetectorsConfig{}, in},
	} {
		r, err := newRedactor(tt.d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := r.redact(in, newScratch(r)); got != tt.want {
			t.Errorf("%+v: got %q want %q", tt.d, got, tt.want)
		}
	}
}

func TestRedactCounts(t *testing.T) {
	r := allDetectors(t, PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`})
	sc := newScratch(r)
	r.redact("a@example.com b@example.org AKIAIOSFODNN7EXAMPLE 4111111111111111 EMP-123456", sc)
	want := []int64{2, 1, 1, 1}
	for i, n := range want {
		if sc.counts[i] != n {
			t.Errorf("%s: %d redactions, want %d", r.names[i], sc.counts[i], n)
		}
	}
}

// TestRedactGolden masks real-looking OpenAI chat-completions and Anthropic
// messages request/response JSON; the output must equal the golden file
// and still be valid JSON.
func TestRedactGolden(t *testing.T) {
	r := allDetectors(t, PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`})
	for _, name := range []string{"openai_chat", "anthropic_messages"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(in) {
				t.Fatal("input is not valid JSON")
			}
			got, changed := r.redact(string(in), newScratch(r))
			if !changed {
				t.Fatal("nothing masked")
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("masked output is not valid JSON:\n%s", got)
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to regenerate and review the diff):\n%s", golden, got)
			}
			for _, secret := range []string{"@example.com", "sk-proj-", "AKIA", "4111 1111 1111 1111", "EMP-00"} {
				if strings.Contains(got, secret) {
					t.Errorf("%q survived masking", secret)
				}
			}
			for _, keep := range []string{"1234567812345678", "user at example dot com", "v2.14.3",
				"2026-11-25T14:23:47Z", "1732540800123", "9b2f4c1e-8d3a-4f6b-a1c2-3e4d5f6a7b8c"} {
				if !strings.Contains(got, keep) {
					t.Errorf("near miss %q was masked", keep)
				}
			}
		})
	}
}

// TestRedactHostileInput: invalid UTF-8, huge values and pathological
// repetitions are handled without panicking, in linear time.
func TestRedactHostileInput(t *testing.T) {
	r := allDetectors(t, PatternConfig{Name: "employee_id", Regex: `EMP-\d{6}`})
	sc := newScratch(r)
	inputs := []string{
		"\xff\xfe@\xff.com \xc3\x28sk-\xff",
		strings.Repeat("@", 1<<20),
		strings.Repeat("a@b.", 1<<18),
		strings.Repeat("4", 1<<20),
		strings.Repeat("4111 ", 1<<18),
		strings.Repeat("sk-", 1<<18),
		strings.Repeat("eyJ", 1<<18) + ".",
		strings.Repeat("\\", 1<<20) + "a@example.com",
		strings.Repeat("jane@example.com ", 1<<16),
		// Emails and keys interleave: matches arrive out of order (sorting
		// must not be quadratic).
		strings.Repeat("a@example.com AKIAIOSFODNN7EXAMPLE ", 1<<15),
	}
	for i, in := range inputs {
		out, _ := r.redact(in, sc)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Errorf("input %d: valid UTF-8 became invalid", i)
		}
	}
	out, _ := r.redact(strings.Repeat("jane@example.com ", 1<<16), sc)
	if strings.Contains(out, "@") {
		t.Error("an email in a 1 MiB value survived")
	}
}

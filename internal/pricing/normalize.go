package pricing

import "strings"

// Hosts with their own prices: the canonical values (OpenTelemetry
// gen_ai.provider.name) that spellings in the wild are folded into.
const (
	hostBedrock = "aws.bedrock"
	hostVertex  = "gcp.vertex_ai"
)

// hostAliases folds provider spellings (gen_ai.provider.name, the deprecated
// gen_ai.system, OpenInference llm.provider) into one host name. Providers
// not listed are used as they are.
var hostAliases = map[string]string{
	"openai":           "openai",
	"azure.ai.openai":  "azure.ai.openai",
	"az.ai.openai":     "azure.ai.openai",
	"azure":            "azure.ai.openai",
	"azure_openai":     "azure.ai.openai",
	"azure-openai":     "azure.ai.openai",
	"azureopenai":      "azure.ai.openai",
	"anthropic":        "anthropic",
	"aws.bedrock":      hostBedrock,
	"aws_bedrock":      hostBedrock,
	"aws-bedrock":      hostBedrock,
	"bedrock":          hostBedrock,
	"amazon_bedrock":   hostBedrock,
	"amazon-bedrock":   hostBedrock,
	"aws":              hostBedrock,
	"gcp.vertex_ai":    hostVertex,
	"gcp.vertexai":     hostVertex,
	"vertex_ai":        hostVertex,
	"vertexai":         hostVertex,
	"vertex":           hostVertex,
	"vertex-ai":        hostVertex,
	"google_vertex":    hostVertex,
	"google-vertex":    hostVertex,
	"gcp.gemini":       "gcp.gemini",
	"gcp.gen_ai":       "gcp.gemini",
	"gemini":           "gcp.gemini",
	"google":           "gcp.gemini",
	"google_genai":     "gcp.gemini",
	"google-genai":     "gcp.gemini",
	"google_ai_studio": "gcp.gemini",
	"mistral_ai":       "mistral_ai",
	"mistralai":        "mistral_ai",
	"mistral":          "mistral_ai",
	"deepseek":         "deepseek",
	"x_ai":             "x_ai",
	"xai":              "x_ai",
	"x.ai":             "x_ai",
}

// hostOf folds a provider name into a host; "" stays unknown.
func hostOf(provider string) string {
	if provider == "" {
		return ""
	}
	if h, ok := hostAliases[provider]; ok {
		return h
	}
	return provider
}

// Bedrock model ids: [region.]vendor.model[-vN][:M], e.g.
// us.anthropic.claude-3-5-sonnet-20241022-v2:0 or meta.llama3-1-70b-instruct-v1:0.
var (
	bedrockRegions = []string{"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."}
	bedrockVendors = []string{
		"anthropic.", "meta.", "mistral.", "amazon.", "cohere.", "ai21.",
		"deepseek.", "openai.", "qwen.", "writer.",
	}
)

// maxModelLen bounds the ids Lookup normalizes on the stack; longer names
// are not model names and are never priced.
const maxModelLen = 256

// normalize appends the canonical form of a model name to dst and returns it
// with the host the name itself implies (a Bedrock or Vertex id, or a known
// "provider/" prefix), or "". It lowercases, reads '.' as '-', drops path
// prefixes ("openai/", ARNs), Bedrock region/vendor prefixes and "-vN:M"
// suffixes, Vertex "@version" suffixes and variant suffixes (":thinking").
// ok is false for names that must never be priced (":free" variants).
// It does not allocate when dst has room.
func normalize(dst []byte, model string) (id []byte, implied string, ok bool) {
	s := strings.TrimSpace(model)
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		first := s
		if j := strings.IndexByte(s, '/'); j >= 0 {
			first = s[:j]
		}
		implied = prefixHost(first)
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
		implied = hostVertex
	}
	bedrock := false
	if strings.IndexByte(s, '.') > 0 { // Bedrock ids always have a vendor dot
		rest := s
		for _, r := range bedrockRegions {
			if hasPrefixFold(rest, r) {
				rest = rest[len(r):]
				break
			}
		}
		for _, v := range bedrockVendors {
			if hasPrefixFold(rest, v) {
				s = rest[len(v):]
				bedrock = true
				break
			}
		}
	}
	colonDigits := false
	if i := strings.IndexByte(s, ':'); i >= 0 {
		suffix := s[i+1:]
		switch {
		case strings.EqualFold(suffix, "free"):
			return dst, "", false
		case isVariant(suffix):
			s = s[:i]
		case suffix != "" && isDigit(suffix[0]) && versionSuffix(s[:i]) >= 0:
			// Bedrock "-v2:0", "-v1:0:200k".
			s = s[:i]
			colonDigits = true
		}
		// Anything else (fine-tuned "ft:base:org::id") is kept whole, so
		// it only matches a pattern written for it.
	}
	if bedrock || colonDigits {
		if j := versionSuffix(s); j >= 0 {
			s = s[:j]
			bedrock = true
		}
	}
	if bedrock {
		implied = hostBedrock
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '.':
			c = '-'
		}
		dst = append(dst, c)
	}
	return dst, implied, len(dst) > 0
}

// prefixHost maps the first segment of "provider/model" to a host when it
// names a known provider (LiteLLM and OpenRouter style ids).
func prefixHost(seg string) string {
	if len(seg) == 0 || len(seg) > 20 {
		return ""
	}
	var buf [20]byte
	b := buf[:0]
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if h, ok := hostAliases[string(b)]; ok {
		return h
	}
	return ""
}

// isVariant reports OpenRouter-style variant suffixes that do not change the
// list price (":thinking", ":beta", ...).
func isVariant(s string) bool {
	for _, v := range [...]string{"thinking", "beta", "extended", "online", "nitro", "floor"} {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// versionSuffix returns the index of a trailing Bedrock "-vN", or -1.
func versionSuffix(s string) int {
	i := len(s)
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	if i == len(s) || i < 2 || (s[i-1] != 'v' && s[i-1] != 'V') || s[i-2] != '-' {
		return -1
	}
	return i - 2
}

// stripVersion removes one trailing date or version from a normalized id:
// -latest, -2024-08-06, -20241022, -05-06, -0709, -001. ok is false when
// there is none.
func stripVersion(id []byte) ([]byte, bool) {
	n := len(id)
	switch {
	case n > 7 && string(id[n-7:]) == "-latest":
		return id[:n-7], true
	case n > 11 && id[n-11] == '-' && digits(id[n-10:n-6]) && id[n-6] == '-' && digits(id[n-5:n-3]) && id[n-3] == '-' && digits(id[n-2:]):
		return id[:n-11], true
	case n > 9 && id[n-9] == '-' && digits(id[n-8:]):
		return id[:n-9], true
	case n > 6 && id[n-6] == '-' && digits(id[n-5:n-3]) && id[n-3] == '-' && digits(id[n-2:]):
		return id[:n-6], true
	case n > 5 && id[n-5] == '-' && digits(id[n-4:]):
		return id[:n-5], true
	case n > 4 && id[n-4] == '-' && digits(id[n-3:]):
		return id[:n-4], true
	}
	return id, false
}

func digits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// patternKey is the normalized form of a match pattern (without its '*').
func patternKey(p string) string {
	id, _, ok := normalize(nil, p)
	if !ok {
		return ""
	}
	return string(id)
}

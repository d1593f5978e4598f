package privacyprocessor

import (
	"regexp"
	"slices"
	"strings"
	"unsafe"
)

// Built-in detector names, as they appear in the configuration, in
// replacements ([REDACTED:email]) and in the redaction metric.
const (
	DetectorEmail  = "email"
	DetectorAPIKey = "api_key"
	DetectorCard   = "card"
)

// Detector indexes into redactor.names and scratch.counts; custom patterns
// follow the built-ins.
const (
	detEmail = iota
	detAPIKey
	detCard
	numBuiltin
)

// customPattern is a compiled custom_patterns entry. prefix, when not
// empty, is a literal every match starts with: values without it skip the
// regular expression.
type customPattern struct {
	re     *regexp.Regexp
	prefix string
}

// redactor finds secrets and personal data in text. The built-in detectors
// do not use regular expressions: each looks only at candidates around a
// rare anchor found with strings.IndexByte ('@' for emails, 'k', 'x', '_',
// 'A', 'J', 'B' for key prefixes) or, for cards, at 8-byte words holding many
// digits, so text with nothing to mask is read a few times at memory speed
// and never copied.
type redactor struct {
	email, apiKey, card bool
	custom              []customPattern
	// names[i] is detector i's name; replacements[i] is "[REDACTED:name]".
	names        []string
	replacements []string
}

func newRedactor(d DetectorsConfig, patterns []PatternConfig) (*redactor, error) {
	r := &redactor{email: d.Email, apiKey: d.APIKey, card: d.Card}
	r.names = []string{DetectorEmail, DetectorAPIKey, DetectorCard}
	for _, p := range patterns {
		re, err := regexp.Compile(p.Regex)
		if err != nil {
			return nil, err
		}
		prefix, _ := re.LiteralPrefix()
		r.custom = append(r.custom, customPattern{re: re, prefix: prefix})
		r.names = append(r.names, p.Name)
	}
	for _, n := range r.names {
		r.replacements = append(r.replacements, "[REDACTED:"+n+"]")
	}
	return r, nil
}

// match is one redacted range [start, end) of a value.
type match struct {
	start, end int
	det        int
}

// scratch is per-call working memory, pooled so that scanning allocates
// nothing.
type scratch struct {
	matches []match
	counts  []int64 // redactions per detector since the last flush
	buf     []byte
}

// redact returns s with every detected secret replaced, and whether
// anything was replaced. Replacements are plain ASCII without quotes or
// backslashes, so a JSON document stays valid; a card number written as a
// bare JSON number becomes a JSON string.
func (r *redactor) redact(s string, sc *scratch) (string, bool) {
	sc.matches = sc.matches[:0]
	if len(s) >= 6 { // no built-in detector matches fewer bytes ("a@b.co")
		if r.email {
			sc.matches = findEmails(s, sc.matches)
		}
		if r.apiKey {
			sc.matches = findKeys(s, sc.matches)
		}
		if r.card {
			sc.matches = findCards(s, sc.matches)
		}
	}
	for i, p := range r.custom {
		if p.prefix != "" && !strings.Contains(s, p.prefix) {
			continue
		}
		for _, loc := range p.re.FindAllStringIndex(s, -1) {
			if loc[1] > loc[0] {
				sc.matches = append(sc.matches, match{loc[0], loc[1], numBuiltin + i})
			}
		}
	}
	if len(sc.matches) == 0 {
		return s, false
	}
	return r.replace(s, sc), true
}

// replace builds the redacted value: matches are ordered by start and
// overlapping ones merged (the earliest names the redaction).
func (r *redactor) replace(s string, sc *scratch) string {
	ms := sc.matches
	// O(n log n) even for a hostile value with many interleaved matches.
	slices.SortFunc(ms, func(a, b match) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.det - b.det
	})
	merged := ms[:1]
	for _, m := range ms[1:] {
		last := &merged[len(merged)-1]
		if m.start < last.end {
			if m.end > last.end {
				last.end = m.end
			}
			continue
		}
		merged = append(merged, m)
	}
	jsonDoc := looksLikeJSON(s)
	b := sc.buf[:0]
	prev, inStr, scanned := 0, false, 0
	for _, m := range merged {
		b = append(b, s[prev:m.start]...)
		quote := false
		if jsonDoc {
			// Only a number can sit outside a JSON string and match (a card);
			// quoting the replacement keeps the document valid.
			inStr = jsonInString(s, scanned, m.start, inStr)
			scanned = m.start // the next scan reads through this match, quotes and all
			quote = !inStr
		}
		if quote {
			b = append(b, '"')
		}
		b = append(b, r.replacements[m.det]...)
		if quote {
			b = append(b, '"')
		}
		sc.counts[m.det]++
		prev = m.end
	}
	b = append(b, s[prev:]...)
	sc.buf = b
	return string(b)
}

func looksLikeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// jsonInString advances a JSON string-state scan from..to: it reports
// whether position to is inside a string literal, given the state at from.
func jsonInString(s string, from, to int, in bool) bool {
	// Only quotes change the state; a quote preceded by an odd run of
	// backslashes is escaped (backslashes occur only inside strings).
	for i := from; i < to; {
		j := strings.IndexByte(s[i:to], '"')
		if j < 0 {
			break
		}
		i += j
		if !in || !escapedAt(s, i) {
			in = !in
		}
		i++
	}
	return in
}

// Byte classes.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
func isWord(c byte) bool     { return isAlnum(c) || c == '_' }
func isUpperNum(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }
func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}
func isDomain(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }
func isB64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }
func isToken(c byte) bool {
	return isB64URL(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

// escapedAt reports whether the byte at i is escaped by a backslash (an odd
// run of backslashes before it), as in the JSON "\n" in "…key:\nsk-…".
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// boundary reports whether a token may start at i: at the start, after a
// non-word byte, or after a JSON escape such as \n or \t.
func boundary(s string, i int) bool {
	if i == 0 || !isWord(s[i-1]) {
		return true
	}
	switch s[i-1] {
	case 'n', 't', 'r', 'b', 'f':
		return escapedAt(s, i-1)
	}
	return false
}

// span returns the end of the run of bytes in class starting at i.
func span(s string, i int, class func(byte) bool) int {
	for i < len(s) && class(s[i]) {
		i++
	}
	return i
}

// findEmails finds local@domain.tld around every '@'.
func findEmails(s string, dst []match) []match {
	from := 0
	for {
		at := strings.IndexByte(s[from:], '@')
		if at < 0 {
			return dst
		}
		at += from
		from = at + 1
		start := at
		for start > 0 && isLocal(s[start-1]) {
			start--
		}
		if start > 0 && s[start-1] == '\\' && !escapedAt(s, start-1) {
			// The local part begins with the letter of an escape (\n, or the
			// u of \u00e9): it is not part of the address.
			if s[start] == 'u' {
				start += 5
			} else {
				start++
			}
		}
		for start < at && s[start] == '.' {
			start++
		}
		if start >= at {
			continue
		}
		end := span(s, at+1, isDomain)
		for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') { // sentence end
			end--
		}
		dot := strings.LastIndexByte(s[at+1:end], '.')
		if dot <= 0 { // no dot, or a leading one
			continue
		}
		tld := s[at+1+dot+1 : end]
		if len(tld) < 2 || !allLetters(tld) || strings.Contains(s[at+1:end], "..") {
			continue
		}
		dst = append(dst, match{start, end, detEmail})
		from = end
	}
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// findKeys finds API keys and tokens by the prefixes their issuers give
// them, anchored on a rare byte of each prefix.
func findKeys(s string, dst []match) []match {
	// 'k': OpenAI sk-… / sk-proj-…, Anthropic sk-ant-…, Stripe
	// sk_live_/sk_test_/rk_live_/rk_test_ ('k' is rarer than '-' or '_').
	for from := 0; ; {
		i := strings.IndexByte(s[from:], 'k')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if i == 0 || i+1 >= len(s) || (s[i-1] != 's' && s[i-1] != 'r') || !boundary(s, i-1) {
			continue
		}
		start := i - 1
		var end int
		switch {
		case s[i+1] == '-' && s[start] == 's':
			end = span(s, i+2, isB64URL)
			if end-i-2 < 20 {
				continue
			}
		case strings.HasPrefix(s[i+1:], "_live_") || strings.HasPrefix(s[i+1:], "_test_"):
			end = span(s, i+7, isWord)
			if end-i-7 < 16 {
				continue
			}
		default:
			continue
		}
		dst = append(dst, match{start, end, detAPIKey})
		from = end
	}
	// 'x': Slack xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxe- tokens.
	for from := 0; ; {
		i := strings.IndexByte(s[from:], 'x')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if len(s)-i < 15 || s[i+1] != 'o' || s[i+2] != 'x' || s[i+4] != '-' ||
			strings.IndexByte("abprse", s[i+3]) < 0 || !boundary(s, i) {
			continue
		}
		end := span(s, i+5, func(c byte) bool { return isAlnum(c) || c == '-' })
		if end-i-5 < 10 {
			continue
		}
		dst = append(dst, match{i, end, detAPIKey})
		from = end
	}
	// '_': GitHub gh?_… and github_pat_….
	for from := 0; ; {
		i := strings.IndexByte(s[from:], '_')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		var start, min int
		switch {
		case i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' && strings.IndexByte("pousr", s[i-1]) >= 0 && boundary(s, i-3):
			start, min = i-3, 30
		case i >= 6 && s[i-6:i] == "github" && strings.HasPrefix(s[i:], "_pat_") && boundary(s, i-6):
			start, min = i-6, 20
			i += 4
		default:
			continue
		}
		end := span(s, i+1, isWord)
		if end-i-1 < min {
			continue
		}
		dst = append(dst, match{start, end, detAPIKey})
		from = end
	}
	// 'A': AWS access key ids AKIA…/ASIA… (16 more), Google API keys AIza… (35 more).
	for from := 0; ; {
		i := strings.IndexByte(s[from:], 'A')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if len(s)-i < 20 || !boundary(s, i) {
			continue
		}
		var end int
		switch s[i+1 : i+4] {
		case "KIA", "SIA":
			end = span(s, i+4, isUpperNum)
			if end-i != 20 || (end < len(s) && isAlnum(s[end])) {
				continue
			}
		case "Iza":
			end = span(s, i+4, isB64URL)
			if end-i < 35 {
				continue
			}
		default:
			continue
		}
		dst = append(dst, match{i, end, detAPIKey})
		from = end
	}
	// 'J': JWTs, eyJ<header>.<payload>[.<signature>].
	for from := 0; ; {
		i := strings.IndexByte(s[from:], 'J')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if i < 2 || s[i-2] != 'e' || s[i-1] != 'y' || !boundary(s, i-2) {
			continue
		}
		h := span(s, i+1, isB64URL)
		if h-i < 8 || h >= len(s) || s[h] != '.' {
			continue
		}
		p := span(s, h+1, isB64URL)
		if p-h-1 < 8 {
			continue
		}
		end := p
		if p < len(s) && s[p] == '.' {
			end = span(s, p+1, isB64URL)
		}
		dst = append(dst, match{i - 2, end, detAPIKey})
		from = end
	}
	// 'B': "Bearer <token>" — the token is redacted, the scheme kept.
	for from := 0; ; {
		i := strings.IndexByte(s[from:], 'B')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if !strings.HasPrefix(s[i:], "Bearer ") || !boundary(s, i) {
			continue
		}
		start := i + len("Bearer ")
		end := span(s, start, isToken)
		if end-start < 16 {
			continue
		}
		dst = append(dst, match{start, end, detAPIKey})
		from = end
	}
	return dst
}

// Card numbers: 13–19 digits, single spaces or dashes allowed between
// digits. A card written with separators every 4 digits (or Amex 4-6-5)
// puts at least 6 digits in some aligned 8-byte word, and an unseparated
// one 8, so only words with 6 or more digits are looked at closely.
const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	hi1  = 0x8080808080808080
	ones = 0x0101010101010101
)

// digitMask returns 0x80 in each byte of w that is an ASCII digit.
func digitMask(w uint64) uint64 {
	low := w & lo7
	// byte < '0'+10 and byte >= '0', for bytes < 0x80 (high bit excluded).
	lt := (ones*(0x7f+'9'+1) - low) // high bit set where low < '9'+1
	ge := low + ones*(0x7f-'0'+1)   // high bit set where low >= '0'
	return lt & ge & ^w & hi1
}

func findCards(s string, dst []match) []match {
	p := unsafe.Pointer(unsafe.StringData(s))
	scanned := 0 // bytes before this were checked closely
	for o := 0; o+8 <= len(s); o += 8 {
		// An unaligned 8-byte load without bounds checks (o+8 <= len(s));
		// byte order does not matter for a count. (mask>>7)*ones sums the
		// per-byte flags into the top byte: a digit count without popcount.
		w := *(*uint64)(unsafe.Add(p, o))
		if (digitMask(w)>>7)*ones>>56 < 6 {
			continue
		}
		from := o - 24 // a card reaching into this word starts at most 24 bytes before it
		if from < scanned {
			from = scanned
		}
		dst, scanned = scanCards(s, from, o+8, dst)
	}
	return dst
}

// scanCards checks every digit run that starts in [from, until) and returns
// where it stopped (the end of the last run looked at).
func scanCards(s string, from, until int, dst []match) ([]match, int) {
	var gs, ge [maxCardGroups]int // digit groups of the run, when it has few
	i := from
	for i < until {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start := i
		digits, groups := 0, 0
		end := i
		for i < len(s) {
			if isDigit(s[i]) {
				if i == start || !isDigit(s[i-1]) {
					if groups < maxCardGroups {
						gs[groups] = i
					}
					groups++
				}
				digits++
				i++
				end = i
				if groups <= maxCardGroups {
					ge[groups-1] = i
				}
				continue
			}
			if (s[i] == ' ' || s[i] == '-') && i+1 < len(s) && isDigit(s[i+1]) {
				i++
				continue
			}
			break
		}
		if digits < 13 {
			continue
		}
		if start > 0 && (s[start-1] == '.' || s[start-1] == '-' || s[start-1] == '+' || !boundary(s, start)) {
			continue // a fraction, a negative number or part of a word
		}
		if end < len(s) && (isWord(s[end]) || s[end] == '.' && end+1 < len(s) && isDigit(s[end+1])) {
			continue
		}
		if digits <= 19 && cardLike(s[start:end]) {
			dst = append(dst, match{start, end, detCard})
			continue
		}
		if groups < 2 || groups > maxCardGroups {
			continue
		}
		// The run holds more than a card: a card grouped the usual way
		// (4-4-4-4[-1..4], Amex 4-6-5, Diners 4-6-4) followed or preceded
		// by other numbers, as in "4111 1111 1111 1111 12/29" or a CVV.
		for g := 0; g < groups; g++ {
			for h := groups - 1; h >= g; h-- {
				if cardGroups(gs[g:h+1], ge[g:h+1]) && cardLike(s[gs[g]:ge[h]]) {
					dst = append(dst, match{gs[g], ge[h], detCard})
					g = h
					break
				}
			}
		}
	}
	return dst, i
}

// maxCardGroups bounds the digit groups of a run examined for a card
// inside it (a card has at most 5).
const maxCardGroups = 8

// cardLike reports whether a digit string (separators allowed) has 13–19
// digits, starts like a card (2–6) and passes the Luhn check.
func cardLike(s string) bool {
	if s[0] < '2' || s[0] > '6' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n >= 13 && n <= 19 && luhn(s)
}

// cardGroups reports whether digit groups have a card's usual shape.
func cardGroups(starts, ends []int) bool {
	n := len(starts)
	if n < 3 || n > 5 {
		return false
	}
	l := func(k int) int { return ends[k] - starts[k] }
	if n == 3 && l(0) == 4 && l(1) == 6 && (l(2) == 5 || l(2) == 4) {
		return true
	}
	for k := 0; k < n-1; k++ {
		if l(k) != 4 {
			return false
		}
	}
	return l(n-1) >= 1 && l(n-1) <= 4
}

// luhn checks the Luhn digit of a number, skipping separators.
func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

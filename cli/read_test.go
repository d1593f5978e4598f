package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// window of the seeded data, for metrics.
var seedRange = []string{"--from", "2025-03-09T00:00:00Z", "--to", "2025-03-12T00:00:00Z"}

// TestTables runs the reading commands against the seeded API and compares
// their tables with the golden files.
func TestTables(t *testing.T) {
	api := newTestAPI(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"sessions_list.txt", []string{"sessions", "list"}},
		{"sessions_list_active.txt", []string{"sessions", "list", "--active"}},
		{"sessions_show.txt", []string{"sessions", "show", sessAlpha}},
		{"traces_list.txt", []string{"traces", "list"}},
		{"traces_list_errors.txt", []string{"traces", "list", "--status", "error"}},
		{"traces_list_limit.txt", []string{"traces", "list", "--limit", "1"}},
		{"traces_show.txt", []string{"traces", "show", trResearch}},
		{"traces_show_running.txt", []string{"traces", "show", trFix}},
		{"traces_tree.txt", []string{"traces", "tree", trResearch}},
		{"traces_tree_unpriced.txt", []string{"traces", "tree", trSummarize}},
		{"spans_query.txt", []string{"spans", "query", "--trace", trResearch}},
		{"spans_query_llm.txt", []string{"spans", "query", "--type", "llm_call"}},
		{"spans_show.txt", []string{"spans", "show", trResearch, sid(0x11)}},
		{"spans_show_tool.txt", []string{"spans", "show", trResearch, sid(0x12)}},
		{"metrics_summary.txt", append([]string{"metrics", "summary"}, seedRange...)},
		{"metrics_costs_model.txt", append([]string{"metrics", "costs", "--group-by", "model"}, seedRange...)},
		{"metrics_costs_day.txt", append([]string{"metrics", "costs", "--group-by", "day"}, seedRange...)},
		{"metrics_performance.txt", append([]string{"metrics", "performance"}, seedRange...)},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			r := run(t, api, tc.args...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			golden(t, tc.golden, r.stdout)
		})
	}
}

// TestJSONOutput parses --output json and checks the values scripts read.
func TestJSONOutput(t *testing.T) {
	api := newTestAPI(t)

	var sessions []map[string]any
	decode(t, run(t, api, "sessions", "list", "-o", "json"), &sessions)
	require.Len(t, sessions, 2)
	assert.Equal(t, sessBeta, sessions[0]["session_id"], "newest first")
	assert.Equal(t, sessAlpha, sessions[1]["session_id"])

	var show struct {
		Session map[string]any   `json:"session"`
		Traces  []map[string]any `json:"traces"`
	}
	decode(t, run(t, api, "sessions", "show", sessAlpha, "-o", "json"), &show)
	assert.Equal(t, "Alpha research", show.Session["name"])
	assert.Len(t, show.Traces, 2)

	var traces []map[string]any
	decode(t, run(t, api, "traces", "list", "--session", sessAlpha, "-o", "json"), &traces)
	require.Len(t, traces, 2)
	assert.Equal(t, trSummarize, traces[0]["trace_id"])
	assert.InDelta(t, 0.0165, traces[1]["cost_usd"], 1e-9)

	var trace struct {
		Trace map[string]any `json:"trace"`
		Tree  struct {
			Roots []struct {
				Name     string `json:"name"`
				Children []struct {
					Name    string   `json:"name"`
					CostUSD *float64 `json:"cost_usd"`
				} `json:"children"`
			} `json:"roots"`
		} `json:"tree"`
	}
	decode(t, run(t, api, "traces", "show", trResearch, "-o", "json"), &trace)
	require.Len(t, trace.Tree.Roots, 1)
	assert.Equal(t, "research", trace.Tree.Roots[0].Name)
	require.Len(t, trace.Tree.Roots[0].Children, 3)
	assert.InDelta(t, 0.012, *trace.Tree.Roots[0].Children[0].CostUSD, 1e-9)

	var tree map[string]any
	decode(t, run(t, api, "traces", "tree", trResearch, "-o", "json"), &tree)
	assert.EqualValues(t, 5, tree["span_count"])

	var spans []map[string]any
	decode(t, run(t, api, "spans", "query", "--type", "llm_call", "--model", "gpt-4o", "-o", "json"), &spans)
	require.Len(t, spans, 2)
	for _, s := range spans {
		assert.Equal(t, "gpt-4o", s["model"])
	}

	var span map[string]any
	decode(t, run(t, api, "spans", "show", trSummarize, sid(0x21), "-o", "json"), &span)
	assert.Nil(t, span["cost_usd"], "an unpriced model has no cost, not $0")

	var summary struct {
		Current struct {
			Spans   int64    `json:"spans"`
			CostUSD *float64 `json:"cost_usd"`
		} `json:"current"`
	}
	decode(t, run(t, api, append([]string{"metrics", "summary", "-o", "json"}, seedRange...)...), &summary)
	assert.EqualValues(t, 11, summary.Current.Spans)
	assert.InDelta(t, 0.0365, *summary.Current.CostUSD, 1e-9)

	var costs struct {
		GroupBy string `json:"group_by"`
		Rows    []struct {
			Key     string   `json:"key"`
			CostUSD *float64 `json:"cost_usd"`
		} `json:"rows"`
	}
	decode(t, run(t, api, append([]string{"metrics", "costs", "--group-by", "model", "-o", "json"}, seedRange...)...), &costs)
	assert.Equal(t, "model", costs.GroupBy)
	byModel := map[string]*float64{}
	for _, r := range costs.Rows {
		byModel[r.Key] = r.CostUSD
	}
	assert.InDelta(t, 0.032, *byModel["gpt-4o"], 1e-9)
	assert.Nil(t, byModel["mystery-model"])

	var perf struct {
		Rows []map[string]any `json:"rows"`
	}
	decode(t, run(t, api, append([]string{"metrics", "performance", "--group-by", "model", "-o", "json"}, seedRange...)...), &perf)
	assert.NotEmpty(t, perf.Rows)

	var version map[string]any
	decode(t, run(t, api, "version", "-o", "json"), &version)
	assert.Equal(t, "test", version["api_version"])
	assert.NotEmpty(t, version["version"])
}

func decode(t *testing.T, r result, v any) {
	t.Helper()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), v), "stdout: %s", r.stdout)
}

// TestErrors checks the messages and exit statuses of the failures people
// and scripts meet: unknown ids, bad arguments and a stopped API.
func TestErrors(t *testing.T) {
	api := newTestAPI(t)
	unknown := tid(0x999)
	tests := []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"unknown trace", []string{"traces", "show", unknown}, ExitNotFound, "trace " + unknown + " not found"},
		{"unknown trace tree", []string{"traces", "tree", unknown}, ExitNotFound, "trace " + unknown + " not found"},
		{"unknown session", []string{"sessions", "show", "nope"}, ExitNotFound, "session nope not found"},
		{"unknown session delete", []string{"sessions", "delete", "nope", "--yes"}, ExitNotFound, "session nope not found"},
		{"unknown span", []string{"spans", "show", trResearch, sid(0x99)}, ExitNotFound, "span " + trResearch + "/" + sid(0x99) + " not found"},
		{"malformed trace id", []string{"traces", "show", "abc"}, ExitUsage, `invalid trace id "abc"`},
		{"missing argument", []string{"traces", "show"}, ExitUsage, "needs TRACE_ID"},
		{"bad status", []string{"traces", "list", "--status", "weird"}, ExitUsage, "--status \"weird\": want one of running, ok"},
		{"bad type", []string{"spans", "query", "--type", "llm"}, ExitUsage, "--type \"llm\""},
		{"bad since", []string{"metrics", "summary", "--since", "yesterdayish"}, ExitUsage, "--since \"yesterdayish\""},
		{"bad group", []string{"metrics", "costs", "--group-by", "color"}, ExitUsage, "--group-by \"color\""},
		{"bad output", []string{"sessions", "list", "-o", "yaml"}, ExitUsage, "--output \"yaml\""},
		{"unknown flag", []string{"sessions", "list", "--colour"}, ExitUsage, "unknown flag: --colour"},
		{"unknown command", []string{"sesions"}, ExitUsage, "unknown command \"sesions\""},
		{"delete without answer", []string{"sessions", "delete", sessAlpha}, ExitUsage, "pass --yes"},
		{"API refuses a filter", []string{"traces", "list", "--min-duration", "soon"}, ExitError, "parameter min_duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, api, tc.args...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tc.message)
		})
	}
}

// TestUnreachableAPI checks every reading command fails clearly when no
// API answers.
func TestUnreachableAPI(t *testing.T) {
	stopped := &testAPI{URL: "http://127.0.0.1:" + freePort(t)}
	for _, args := range [][]string{
		{"sessions", "list"}, {"sessions", "show", sessAlpha}, {"sessions", "delete", sessAlpha, "--yes"},
		{"traces", "list"}, {"traces", "show", trResearch}, {"traces", "tree", trResearch},
		{"spans", "query"}, {"spans", "show", trResearch, sid(0x11)}, {"spans", "stream"},
		{"metrics", "summary"}, {"metrics", "costs"}, {"metrics", "performance"},
		{"export", "--file", t.TempDir() + "/x.ndjson"},
	} {
		r := run(t, stopped, args...)
		assert.Equal(t, ExitUnreachable, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "cannot reach the AgentTrace API at "+stopped.URL+" (connection refused)", "%v", args)
	}
	// version still works, and says so.
	r := run(t, stopped, "version")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "not reachable at "+stopped.URL)
}

func TestDeleteSession(t *testing.T) {
	api := newTestAPI(t)
	r := runWith(t, api, "n\n", "sessions", "delete", sessBeta)
	assert.Equal(t, ExitError, r.code)
	assert.Contains(t, r.stderr, "Delete session sess-beta (1 trace, 3 spans)? [y/N]")
	assert.Equal(t, 0, run(t, api, "sessions", "show", sessBeta).code, "not deleted after no")

	r = runWith(t, api, "y\n", "sessions", "delete", sessBeta)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Deleted session sess-beta.\n", r.stdout)
	assert.Equal(t, ExitNotFound, run(t, api, "sessions", "show", sessBeta).code)
	assert.Equal(t, ExitNotFound, run(t, api, "traces", "show", trFix).code, "its traces went with it")

	var deleted map[string]any
	decode(t, run(t, api, "sessions", "delete", sessAlpha, "--yes", "-o", "json"), &deleted)
	assert.Equal(t, true, deleted["deleted"])
}

func TestAPIKeyFromEnvironment(t *testing.T) {
	api := newTestAPI(t)
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, LookupEnv: func(k string) (string, bool) {
		switch k {
		case "AGENTTRACE_API":
			return api.URL, true
		case "AGENTTRACE_API_KEY":
			return "k", true
		}
		return "", false
	}}
	cmd := NewCommand(env)
	cmd.SetArgs([]string{"traces", "list", "--limit", "1"})
	require.NoError(t, cmd.Execute())
	assert.Contains(t, out.String(), trFix)
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/distribution"
)

// stackConfig says which collector configuration `up` and `config` run:
// the files or URIs of --config (the embedded default when none), --set
// overrides, the data directory, and a rewrite of listen addresses.
type stackConfig struct {
	configs []string
	sets    []string
	dataDir string
	// dataDirSet is true when --data-dir was given; otherwise
	// AGENTTRACE_DB, when set, keeps choosing the store.
	dataDirSet bool
	logLevel   string
	lookupEnv  func(string) (string, bool)
	// rewrite, when set, changes every listen address of the configuration
	// (path is where it sits, e.g. receivers::otlp::protocols::grpc::endpoint).
	rewrite func(path, hostport string) string
}

func (c *stackConfig) embedded() bool { return len(c.configs) == 0 }

// uris is what the collector resolves, in merge order.
func (c *stackConfig) uris() []string {
	var out []string
	for _, cfg := range c.configs {
		if !strings.Contains(cfg, ":") || fileExists(cfg) {
			cfg = "file:" + cfg
		}
		out = append(out, cfg)
	}
	if c.embedded() {
		out = append(out, distribution.EmbeddedConfigURI)
	}
	if c.logLevel != "" {
		out = append(out, "yaml:service::telemetry::logs::level: "+yamlString(c.logLevel))
	}
	for _, s := range c.sets {
		key, value, _ := strings.Cut(s, "=")
		out = append(out, "yaml:"+strings.TrimSpace(key)+": "+value)
	}
	return out
}

func (c *stackConfig) checkSets() error {
	for _, s := range c.sets {
		key, _, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return usageError("--set %q: want key::path=value, e.g. receivers::otlp::protocols::grpc::endpoint=127.0.0.1:14317", s)
		}
	}
	return nil
}

func yamlString(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML string
	return string(b)
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// envStore is the variable the shipped configurations read the SQLite
// store from (the exporter's path and the API extension's storage).
const envStore = "AGENTTRACE_DB"

// envOverlay is what ${env:…} sees on top of the process environment:
// the store in the data directory, unless AGENTTRACE_DB was set and
// --data-dir was not.
func (c *stackConfig) envOverlay() map[string]string {
	if _, set := c.lookupEnv(envStore); set && !c.dataDirSet {
		return nil
	}
	return map[string]string{envStore: filepath.Join(c.dataDir, "agenttrace.db")}
}

// settings returns the collector settings for this configuration.
func (c *stackConfig) settings() confmap.ResolverSettings {
	rs := distribution.Settings(distribution.Components).ConfigProviderSettings.ResolverSettings
	rs.URIs = c.uris()
	if overlay := c.envOverlay(); len(overlay) > 0 {
		factories := slices.Clone(rs.ProviderFactories)
		for i, f := range factories {
			if f.Create(confmap.ProviderSettings{Logger: zap.NewNop()}).Scheme() == "env" {
				base := f
				factories[i] = confmap.NewProviderFactory(func(ps confmap.ProviderSettings) confmap.Provider {
					return &overlayEnv{vars: overlay, base: base.Create(ps)}
				})
			}
		}
		rs.ProviderFactories = factories
	}
	if c.rewrite != nil {
		rw := c.rewrite
		rs.ConverterFactories = append(slices.Clone(rs.ConverterFactories), confmap.NewConverterFactory(
			func(confmap.ConverterSettings) confmap.Converter { return rewriteConverter{rw} }))
	}
	return rs
}

// resolve returns the effective configuration (files merged, --set and
// environment variables applied).
func (c *stackConfig) resolve(ctx context.Context) (*confmap.Conf, error) {
	r, err := confmap.NewResolver(c.settings())
	if err != nil {
		return nil, err
	}
	defer r.Shutdown(context.WithoutCancel(ctx))
	conf, err := r.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the collector configuration: %w", err)
	}
	return conf, nil
}

// overlayEnv answers ${env:NAME} from vars first, then from the process
// environment, without changing the process's environment.
type overlayEnv struct {
	vars map[string]string
	base confmap.Provider
}

func (o *overlayEnv) Retrieve(ctx context.Context, uri string, w confmap.WatcherFunc) (*confmap.Retrieved, error) {
	name, _, _ := strings.Cut(strings.TrimPrefix(uri, "env:"), ":-")
	if v, ok := o.vars[name]; ok {
		return confmap.NewRetrieved(v)
	}
	return o.base.Retrieve(ctx, uri, w)
}

func (o *overlayEnv) Scheme() string                     { return o.base.Scheme() }
func (o *overlayEnv) Shutdown(ctx context.Context) error { return o.base.Shutdown(ctx) }

// rewriteConverter changes the listen addresses of a configuration.
type rewriteConverter struct {
	rewrite func(path, hostport string) string
}

func (r rewriteConverter) Convert(_ context.Context, conf *confmap.Conf) error {
	m := conf.ToStringMap()
	walkAddrs(m, "", func(path, hostport string) string { return r.rewrite(path, hostport) })
	return conf.Merge(confmap.NewFromStringMap(m))
}

// walkAddrs visits every listen address in a configuration tree: values of
// "endpoint" keys in host:port form, and maps with "host" and "port" (the
// collector's own Prometheus endpoint). visit returns the address to keep.
func walkAddrs(node any, path string, visit func(path, hostport string) string) {
	switch n := node.(type) {
	case map[string]any:
		if host, ok := n["host"].(string); ok {
			if port, ok := portNumber(n["port"]); ok {
				hp := visit(path, net.JoinHostPort(host, strconv.Itoa(port)))
				if h, p, err := net.SplitHostPort(hp); err == nil {
					if pn, err := strconv.Atoi(p); err == nil {
						n["host"], n["port"] = h, pn
					}
				}
			}
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		slices.Sort(keys) // a stable order for messages and banners
		for _, k := range keys {
			v := n[k]
			sub := joinPath(path, k)
			if s, ok := v.(string); ok && k == "endpoint" {
				if _, _, err := net.SplitHostPort(s); err == nil {
					n[k] = visit(sub, s)
				}
				continue
			}
			walkAddrs(v, sub, visit)
		}
	case []any:
		for i, v := range n {
			walkAddrs(v, joinPath(path, strconv.Itoa(i)), visit)
		}
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "::" + k
}

func portNumber(v any) (int, bool) {
	switch p := v.(type) {
	case int:
		return p, true
	case int64:
		return int(p), true
	case uint64:
		return int(p), true
	case float64:
		return int(p), true
	case string:
		n, err := strconv.Atoi(p)
		return n, err == nil
	}
	return 0, false
}

// endpoint is one address the stack listens on.
type endpoint struct {
	Name  string `json:"name"`  // what a person calls it: "native gRPC"
	Path  string `json:"path"`  // where it is configured
	Addr  string `json:"addr"`  // host:port
	Proto string `json:"proto"` // tcp or udp
}

// stackPlan is what a resolved configuration starts.
type stackPlan struct {
	endpoints []endpoint
	// apiExtension is true when the config runs the agenttrace_api extension.
	apiExtension bool
	// apiAddr is where the API and dashboard answer.
	apiAddr string
	// healthAddr is the healthcheckv2 HTTP endpoint, "" without one.
	healthAddr string
	// store is the SQLite file of the first sqlite exporter in a pipeline.
	store string
}

// defaultAPIEndpoint is where `up` serves the API itself when the
// configuration does not host it.
const defaultAPIEndpoint = "127.0.0.1:8080"

// planOf finds the listen addresses of the components the configuration
// runs (those named in service pipelines and extensions) and of the
// collector's own telemetry.
func planOf(conf *confmap.Conf) stackPlan {
	m := conf.ToStringMap()
	svc, _ := m["service"].(map[string]any)
	used := map[string]bool{}
	if exts, ok := svc["extensions"].([]any); ok {
		for _, e := range exts {
			used["extensions::"+fmt.Sprint(e)] = true
		}
	}
	if pipes, ok := svc["pipelines"].(map[string]any); ok {
		for _, p := range pipes {
			pm, _ := p.(map[string]any)
			for _, kind := range []string{"receivers", "exporters"} {
				list, _ := pm[kind].([]any)
				for _, id := range list {
					used[kind+"::"+fmt.Sprint(id)] = true
				}
			}
		}
	}
	var plan stackPlan
	for _, kind := range []string{"receivers", "extensions"} {
		comps, _ := m[kind].(map[string]any)
		ids := make([]string, 0, len(comps))
		for id := range comps {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if !used[kind+"::"+id] {
				continue
			}
			typ, _, _ := strings.Cut(id, "/")
			if kind == "extensions" && typ == "agenttrace_api" {
				plan.apiExtension = true
			}
			walkAddrs(comps[id], kind+"::"+id, func(path, hp string) string {
				ep := endpoint{Name: endpointName(kind, id, path), Path: path, Addr: hp, Proto: "tcp"}
				if strings.Contains(path, "::udp") {
					ep.Proto = "udp"
				}
				plan.endpoints = append(plan.endpoints, ep)
				switch {
				case kind == "extensions" && typ == "agenttrace_api" && plan.apiAddr == "":
					plan.apiAddr = hp
				case kind == "extensions" && typ == "healthcheckv2" && strings.Contains(path, "::http::") && plan.healthAddr == "":
					plan.healthAddr = hp
				}
				return hp
			})
		}
	}
	if tel, ok := svc["telemetry"]; ok {
		walkAddrs(tel, "service::telemetry", func(path, hp string) string {
			plan.endpoints = append(plan.endpoints, endpoint{Name: "collector metrics", Path: path, Addr: hp, Proto: "tcp"})
			return hp
		})
	}
	if exps, ok := m["exporters"].(map[string]any); ok {
		ids := make([]string, 0, len(exps))
		for id := range exps {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			typ, _, _ := strings.Cut(id, "/")
			if typ != "sqlite" || !used["exporters::"+id] {
				continue
			}
			if e, ok := exps[id].(map[string]any); ok {
				if p, ok := e["path"].(string); ok && p != "" {
					plan.store = p
					break
				}
			}
		}
	}
	return plan
}

// endpointName names an address for people.
func endpointName(kind, id, path string) string {
	typ, _, _ := strings.Cut(id, "/")
	sub := strings.TrimPrefix(path, kind+"::"+id+"::")
	switch {
	case typ == "agenttrace" && strings.HasPrefix(sub, "grpc"):
		return "native gRPC"
	case typ == "agenttrace" && strings.HasPrefix(sub, "http"):
		return "native HTTP"
	case typ == "agenttrace" && strings.HasPrefix(sub, "udp"):
		return "native UDP"
	case typ == "otlp" && strings.Contains(sub, "grpc"):
		return "OTLP gRPC"
	case typ == "otlp" && strings.Contains(sub, "http"):
		return "OTLP HTTP"
	case typ == "agenttrace_api":
		return "API + dashboard"
	case typ == "healthcheckv2" || typ == "health_check":
		return "collector health"
	case typ == "pprof":
		return "pprof"
	}
	return strings.TrimSuffix(id+" "+strings.ReplaceAll(sub, "::", " "), " endpoint")
}

// find returns the first endpoint with the given name.
func (p *stackPlan) find(name string) (endpoint, bool) {
	for _, e := range p.endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return endpoint{}, false
}

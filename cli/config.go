package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/otelcol"
	"go.yaml.in/yaml/v3"

	"github.com/agenttrace/agenttrace/internal/distribution"
)

func (a *app) configCommand() *cobra.Command {
	var (
		sc       stackConfig
		defaults bool
	)
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective collector configuration, or validate a file",
		Long: `Print the configuration 'agenttrace up' runs: the embedded default (or the
--config files) merged, with environment variables and --set overrides
applied. With --defaults every component's default settings are filled in.`,
		Example: `  agenttrace config
  agenttrace config --defaults -o json
  agenttrace config --config prod.yaml --set exporters::timescaledb::dsn=postgres://db/agenttrace
  agenttrace config validate prod.yaml`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sc.checkSets(); err != nil {
				return err
			}
			conf, err := sc.resolve(cmd.Context())
			if err != nil {
				return err
			}
			m := conf.ToStringMap()
			if defaults {
				if err := fillDefaults(m); err != nil {
					return err
				}
			}
			if a.jsonOutput() {
				return a.printJSON(m)
			}
			b, err := yaml.Marshal(m)
			if err != nil {
				return err
			}
			_, err = a.env.Stdout.Write(b)
			return err
		},
	}
	a.stackFlags(cmd, &sc)
	cmd.Flags().BoolVar(&defaults, "defaults", false, "fill in every component's default settings")
	cmd.AddCommand(a.configValidateCommand())
	return cmd
}

// fillDefaults replaces each component's section by its full
// configuration: the factory's defaults with the section applied.
func fillDefaults(m map[string]any) error {
	f, err := distribution.Components()
	if err != nil {
		return err
	}
	for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "connectors"} {
		section, _ := m[kind].(map[string]any)
		for id, raw := range section {
			typ, _, _ := strings.Cut(id, "/")
			t, err := component.NewType(typ)
			if err != nil {
				continue
			}
			var def component.Config
			switch kind {
			case "receivers":
				if fac, ok := f.Receivers[t]; ok {
					def = fac.CreateDefaultConfig()
				}
			case "processors":
				if fac, ok := f.Processors[t]; ok {
					def = fac.CreateDefaultConfig()
				}
			case "exporters":
				if fac, ok := f.Exporters[t]; ok {
					def = fac.CreateDefaultConfig()
				}
			case "extensions":
				if fac, ok := f.Extensions[t]; ok {
					def = fac.CreateDefaultConfig()
				}
			case "connectors":
				if fac, ok := f.Connectors[t]; ok {
					def = fac.CreateDefaultConfig()
				}
			}
			if def == nil {
				continue
			}
			rawMap, _ := raw.(map[string]any)
			if err := confmap.NewFromStringMap(rawMap).Unmarshal(def); err != nil {
				return fmt.Errorf("%s::%s: %w", kind, id, err)
			}
			out := confmap.New()
			if err := out.Marshal(def); err != nil {
				continue // keep the section as written
			}
			section[id] = out.ToStringMap()
		}
	}
	return nil
}

func (a *app) configValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a collector configuration file (the effective one without FILE)",
		Long: `Check a configuration the way the collector does before it starts: every
component exists in this distribution, every setting is valid, and every
pipeline is complete. All problems are reported at once.`,
		Example: "  agenttrace config validate prod.yaml",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc := stackConfig{lookupEnv: a.env.LookupEnv, dataDir: "./data"}
			name := "the embedded configuration"
			if len(args) == 1 {
				if !fileExists(args[0]) && !strings.Contains(args[0], ":") {
					return usageError("no file %s", args[0])
				}
				sc.configs, name = args, args[0]
			}
			if err := validateConfig(cmd.Context(), &sc); err != nil {
				return fmt.Errorf("%s is not valid:\n  %s", name, strings.ReplaceAll(err.Error(), "\n", "\n  "))
			}
			conf, err := sc.resolve(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.env.Stdout, "%s is valid.\n%s", name, describePipelines(conf))
			return err
		},
	}
}

// validateConfig runs the collector's own validation (as `validate`).
func validateConfig(ctx context.Context, sc *stackConfig) error {
	set := distribution.Settings(distribution.Components)
	set.ConfigProviderSettings.ResolverSettings = sc.settings()
	col, err := otelcol.NewCollector(set)
	if err != nil {
		return err
	}
	return col.DryRun(ctx)
}

// describePipelines prints each pipeline as receivers → processors → exporters.
func describePipelines(conf *confmap.Conf) string {
	m := conf.ToStringMap()
	svc, _ := m["service"].(map[string]any)
	pipes, _ := svc["pipelines"].(map[string]any)
	names := make([]string, 0, len(pipes))
	for n := range pipes {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		p, _ := pipes[n].(map[string]any)
		part := func(k string) string {
			list, _ := p[k].([]any)
			s := make([]string, len(list))
			for i, v := range list {
				s[i] = fmt.Sprint(v)
			}
			return strings.Join(s, ", ")
		}
		steps := []string{part("receivers")}
		if pr := part("processors"); pr != "" {
			steps = append(steps, pr)
		}
		steps = append(steps, part("exporters"))
		fmt.Fprintf(&b, "  pipeline %s: %s\n", n, strings.Join(steps, " → "))
	}
	if exts, ok := svc["extensions"].([]any); ok && len(exts) > 0 {
		s := make([]string, len(exts))
		for i, v := range exts {
			s[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(&b, "  extensions: %s\n", strings.Join(s, ", "))
	}
	return b.String()
}

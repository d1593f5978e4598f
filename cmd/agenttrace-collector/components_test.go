package main

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/otelcol"
	"go.yaml.in/yaml/v3"

	"github.com/agenttrace/agenttrace/internal/distribution"
)

// manifest is the part of builder-config.yaml this test reads.
type manifest struct {
	Receivers  []module `yaml:"receivers"`
	Processors []module `yaml:"processors"`
	Exporters  []module `yaml:"exporters"`
	Extensions []module `yaml:"extensions"`
	Connectors []module `yaml:"connectors"`
}

type module struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
}

func (m module) importPath() string {
	if m.Import != "" {
		return m.Import
	}
	path, _, _ := strings.Cut(m.GoMod, " ")
	return path
}

// componentsFile is where the distribution's component list lives.
const componentsFile = "../../internal/distribution/components.go"

// TestComponentsMatchManifest fails when internal/distribution/components.go
// and builder-config.yaml list different components.
func TestComponentsMatchManifest(t *testing.T) {
	raw, err := os.ReadFile("../../builder-config.yaml")
	require.NoError(t, err)
	var m manifest
	require.NoError(t, yaml.Unmarshal(raw, &m))

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, componentsFile, nil, parser.ImportsOnly)
	require.NoError(t, err)
	imported := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		imported[p] = true
	}

	var want []string
	for _, list := range [][]module{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Connectors} {
		for _, mod := range list {
			want = append(want, mod.importPath())
			assert.True(t, imported[mod.importPath()], "builder-config.yaml lists %s but components.go does not import it", mod.importPath())
		}
	}
	// Every component package components.go imports must be in the manifest.
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	for p := range imported {
		if isFrameworkImport(p) {
			continue
		}
		assert.True(t, wantSet[p], "components.go imports %s but builder-config.yaml does not list it", p)
	}

	factories, err := components()
	require.NoError(t, err)
	assert.Len(t, distinct(factories.Receivers), len(m.Receivers))
	assert.Len(t, distinct(factories.Processors), len(m.Processors))
	assert.Len(t, distinct(factories.Exporters), len(m.Exporters))
	assert.Len(t, distinct(factories.Extensions), len(m.Extensions))
	assert.Len(t, distinct(factories.Connectors), len(m.Connectors))
	assert.NotNil(t, factories.Telemetry, "the collector refuses to start without a telemetry factory")
}

// isFrameworkImport reports the collector API packages components.go needs
// that are not components.
func isFrameworkImport(p string) bool {
	switch p {
	case "go.opentelemetry.io/collector/connector", "go.opentelemetry.io/collector/exporter",
		"go.opentelemetry.io/collector/extension", "go.opentelemetry.io/collector/otelcol",
		"go.opentelemetry.io/collector/processor", "go.opentelemetry.io/collector/receiver",
		"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry":
		return true
	}
	return false
}

// TestDefaultConfigIsValid runs the collector's own validate command on
// the embedded config.yaml and on the shipped production config.
func TestDefaultConfigIsValid(t *testing.T) {
	t.Setenv("AGENTTRACE_POSTGRES_DSN", "postgres://agenttrace@127.0.0.1:5432/agenttrace")
	for _, uri := range []string{distribution.EmbeddedConfigURI, "file:../../config.production.yaml"} {
		cmd := otelcol.NewCommand(distribution.Settings(components))
		cmd.SetArgs([]string{"validate", "--config=" + uri})
		require.NoError(t, cmd.Execute(), uri)
	}
}

// TestRunsWithoutFlags checks the binary picks the embedded config when
// no --config is given, and leaves an explicit one alone.
func TestRunsWithoutFlags(t *testing.T) {
	assert.Equal(t, []string{"--config=" + distribution.EmbeddedConfigURI}, distribution.WithDefaultConfig(nil))
	assert.Equal(t, []string{"--config", "x.yaml"}, distribution.WithDefaultConfig([]string{"--config", "x.yaml"}))
	assert.Equal(t, []string{"--version"}, distribution.WithDefaultConfig([]string{"--version"}))
}

// distinct counts factories by their own type: MakeFactoryMap also files
// some under deprecated alias names.
func distinct[T component.Factory](m map[component.Type]T) map[component.Type]bool {
	out := map[component.Type]bool{}
	for _, f := range m {
		out[f.Type()] = true
	}
	return out
}

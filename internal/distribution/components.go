// Code generated from builder-config.yaml (kept equal by
// cmd/agenttrace-collector/components_test.go). DO NOT EDIT by hand without
// updating the manifest.

package distribution

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckv2extension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/nopexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/agenttrace/agenttrace/exporter/redisexporter"
	"github.com/agenttrace/agenttrace/exporter/sqliteexporter"
	"github.com/agenttrace/agenttrace/exporter/timescaledbexporter"
	"github.com/agenttrace/agenttrace/extension/agenttraceapiextension"
	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/processor/privacyprocessor"
	"github.com/agenttrace/agenttrace/processor/projectprocessor"
	"github.com/agenttrace/agenttrace/processor/reasoningchainprocessor"
	"github.com/agenttrace/agenttrace/processor/tokencostprocessor"
	"github.com/agenttrace/agenttrace/receiver/agenttracereceiver"
)

// Components returns the factories of every component in the distribution,
// the list builder-config.yaml declares. Both the collector binary and
// `agenttrace up` run with it.
func Components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}

	factories.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		healthcheckv2extension.NewFactory(),
		pprofextension.NewFactory(),
		filestorage.NewFactory(),
		agenttraceapiextension.NewFactory(),
		agenttraceauthextension.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
		agenttracereceiver.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		debugexporter.NewFactory(),
		otlpexporter.NewFactory(),
		otlphttpexporter.NewFactory(),
		nopexporter.NewFactory(),
		sqliteexporter.NewFactory(),
		timescaledbexporter.NewFactory(),
		redisexporter.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		batchprocessor.NewFactory(),
		projectprocessor.NewFactory(),
		tokencostprocessor.NewFactory(),
		reasoningchainprocessor.NewFactory(),
		privacyprocessor.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}

	factories.Connectors, err = otelcol.MakeFactoryMap[connector.Factory]()
	if err != nil {
		return otelcol.Factories{}, err
	}

	return factories, nil
}

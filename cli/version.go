package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace"
)

// versionInfo is what `version` prints.
type versionInfo struct {
	Version    string `json:"version"`
	Commit     string `json:"commit,omitempty"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
	APIURL     string `json:"api_url"`
	APIVersion string `json:"api_version,omitempty"`
	APIError   string `json:"api_error,omitempty"`
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of this program and of the API it talks to",
		Example: "  agenttrace version\n  agenttrace version -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Version: agenttrace.Version, GoVersion: runtime.Version(),
				Platform: runtime.GOOS + "/" + runtime.GOARCH, APIURL: a.apiURL}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v.Commit = s.Value
					}
				}
			}
			// The API's version is a courtesy: version works without it.
			if c, err := a.client(); err == nil {
				ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
				h, err := c.Health(ctx)
				cancel()
				if err != nil {
					v.APIError = shortErr(err)
				} else {
					v.APIVersion = h.Version
				}
			}
			if a.jsonOutput() {
				return a.printJSON(v)
			}
			kv := &keyValues{}
			kv.add("agenttrace", v.Version)
			if v.Commit != "" {
				kv.add("commit", v.Commit)
			}
			kv.add("go", v.GoVersion+" "+v.Platform)
			if v.APIVersion != "" {
				kv.add("API", v.APIVersion+" at "+v.APIURL)
			} else {
				kv.add("API", fmt.Sprintf("not reachable at %s (%s)", v.APIURL, v.APIError))
			}
			return kv.render(a.env.Stdout)
		},
	}
}

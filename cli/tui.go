package cli

import (
	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/tui"
)

func (a *app) tuiCommand() *cobra.Command {
	var opts tui.Options
	cmd := &cobra.Command{
		Use:     "tui",
		Aliases: []string{"top"},
		Short:   "Live terminal UI: span feed, sessions with cost, trace tree, details",
		Long: `A live terminal view of your agents: new spans as they run and finish, the
sessions with their running cost, the selected trace as a tree with the cost
of each step, and the prompt and response of the selected span. Counters show
spans per second, tokens per minute and dollars per hour.

It reads the API (--api) and its live WebSocket, and reconnects by itself.
Press ? in the UI for the keys.`,
		Example: "  agenttrace tui\n  agenttrace --api http://collector:8080 --api-key $KEY tui --type llm_call",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			opts.Client = c
			return tui.Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Filter, "filter", "", "initial feed filter, e.g. \"type=llm_call model=gpt-4o\" or text in span names")
	return cmd
}

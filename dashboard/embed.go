// Package dashboard holds the AgentTrace web dashboard (a React app in this
// folder) and embeds its built files in the Go binary.
//
// `npm run build` writes the app to dist/app, which is not committed. A
// clean clone still builds: dist/placeholder holds a page that says how to
// build the dashboard, and Assets serves it until dist/app exists.
package dashboard

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

const (
	appDir         = "dist/app"
	placeholderDir = "dist/placeholder"
)

// Assets returns the dashboard's files with index.html at the root: the
// built app when it was built before the Go binary, the placeholder page
// otherwise. Pass it to apiserver.WithDashboard.
func Assets() fs.FS {
	dir := placeholderDir
	if Built() {
		dir = appDir
	}
	sub, err := fs.Sub(dist, dir)
	if err != nil {
		// fs.Sub fails only for an invalid path; both are constants.
		panic(err)
	}
	return sub
}

// Built reports whether the binary embeds the built app rather than the
// placeholder.
func Built() bool {
	fi, err := fs.Stat(dist, appDir+"/index.html")
	return err == nil && !fi.IsDir()
}

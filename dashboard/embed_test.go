package dashboard

import (
	"io/fs"
	"strings"
	"testing"
)

func TestAssetsServesAnIndex(t *testing.T) {
	b, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	page := string(b)
	if Built() {
		if !strings.Contains(page, `id="root"`) {
			t.Fatalf("built index.html has no root element:\n%s", page)
		}
		return
	}
	if !strings.Contains(page, "dashboard not built: run <code>make dashboard</code>") {
		t.Fatalf("placeholder does not say how to build the dashboard:\n%s", page)
	}
}

func TestPlaceholderIsAlwaysEmbedded(t *testing.T) {
	if _, err := fs.Stat(dist, placeholderDir+"/index.html"); err != nil {
		t.Fatalf("placeholder missing: %v", err)
	}
}

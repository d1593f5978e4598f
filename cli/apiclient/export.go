package apiclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Export streams GET /api/v1/export/{what} (what: spans or traces) into w.
// query holds the filters and format. progress, when set, is called with
// the bytes received so far as they arrive.
func (c *Client) Export(ctx context.Context, what string, query url.Values, w io.Writer, progress func(bytes int64)) (int64, error) {
	if what != "spans" && what != "traces" {
		return 0, fmt.Errorf("cannot export %q; want spans or traces", what)
	}
	resp, err := c.do(ctx, http.MethodGet, "/api/v1/export/"+what, query)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
			if progress != nil {
				progress(n)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			// The server aborts the connection when an export fails
			// half-way, so a short file is never mistaken for a whole one.
			return n, fmt.Errorf("the export stream broke after %d bytes: %w", n, rerr)
		}
	}
}

package apiclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	c, err := New("127.0.0.1:8080", "")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", c.URL())
	c, err = New("https://at.example.com/prefix/", "")
	require.NoError(t, err)
	assert.Equal(t, "https://at.example.com/prefix", c.URL())
	assert.Equal(t, "https://at.example.com/prefix/api/v1/traces", c.endpoint("/api/v1/traces", nil).String())
	_, err = New("ftp://x", "")
	assert.Error(t, err)
}

// TestErrors checks how API answers become errors: the server's message,
// 404 as IsNotFound, 401 naming the key flag, and the bearer key sent.
func TestErrors(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/traces/00000000000000000000000000000001":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"trace not found"}}`))
		case "/api/v1/sessions":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"an API key is required"}}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>proxy error</html>`))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, "secret-key")
	require.NoError(t, err)
	ctx := context.Background()

	_, _, err = c.Trace(ctx, "00000000000000000000000000000001")
	assert.True(t, IsNotFound(err))
	assert.Equal(t, "Bearer secret-key", gotAuth)

	_, err = c.Sessions(ctx, nil, 10)
	assert.ErrorContains(t, err, "the API needs a key: pass --api-key or set AGENTTRACE_API_KEY (an API key is required)")

	_, _, err = c.Summary(ctx, nil)
	assert.EqualError(t, err, "the API answered 502 Bad Gateway")

	srv.Close()
	_, err = c.Health(ctx)
	var ue *UnreachableError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "connection refused")
}

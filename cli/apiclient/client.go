// Package apiclient is the Go client of the AgentTrace API (apiserver) that
// the CLI and the terminal UI share: typed reads of sessions, traces, spans
// and metrics that keep each response's raw JSON for `--output json`,
// streamed exports, and the WebSocket live stream with reconnection.
//
// Errors say what went wrong in words a person can act on: an unreachable
// API is an *UnreachableError naming the URL, an API error is an *Error with
// the server's code and message, and IsNotFound reports unknown ids.
package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Environment variables the CLI and TUI read for the API address and key.
const (
	EnvAPI    = "AGENTTRACE_API"
	EnvAPIKey = "AGENTTRACE_API_KEY"
)

// DefaultURL is the local-mode API.
const DefaultURL = "http://127.0.0.1:8080"

// Client calls one AgentTrace API.
type Client struct {
	base   *url.URL
	apiKey string
	http   *http.Client
}

// New returns a client of the API at baseURL ("http://host:port", a path
// prefix is kept) sending apiKey when it is not empty.
func New(baseURL, apiKey string) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API address %q is not an http(s) URL such as %s", baseURL, DefaultURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return &Client{base: u, apiKey: apiKey, http: &http.Client{}}, nil
}

// URL is the API's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is an error answered by the API.
type Error struct {
	Status  int    // HTTP status
	Code    string // the API's error code (not_found, invalid_parameter …)
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the API answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// UnreachableError means no API answered at URL.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the AgentTrace API at %s (%s); is it running? Start it with `agenttrace up`, or point --api / %s at it",
		e.URL, shortNetError(e.Err), EnvAPI)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// shortNetError turns a dial error into its cause ("connection refused").
func shortNetError(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "unknown host " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}

// endpoint builds the URL of an API path ("/api/v1/traces") with query.
func (c *Client) endpoint(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}

// do sends a request and returns the response when its status is 2xx;
// other statuses become *Error, transport failures *UnreachableError.
func (c *Client) do(ctx context.Context, method, path string, query url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(path, query).String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnreachableError{URL: c.URL(), Err: err}
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Status: resp.StatusCode}
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &eb) == nil && eb.Error.Message != "" {
		e.Code, e.Message = eb.Error.Code, eb.Error.Message
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.Message = "the API needs a key: pass --api-key or set " + EnvAPIKey + " (" + e.Message + ")"
	case http.StatusForbidden:
		if e.Message == "" {
			e.Message = "the API key is not allowed to do this"
		}
	}
	return e
}

// getJSON decodes a 2xx JSON answer into out and returns its raw bytes.
func (c *Client) getJSON(ctx context.Context, method, path string, query url.Values, out any) (json.RawMessage, error) {
	resp, err := c.do(ctx, method, path, query)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the API's answer to %s: %w", path, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("the API's answer to %s is not the expected JSON: %w", path, err)
		}
	}
	return raw, nil
}

// Health asks the API's health endpoint, with a short timeout.
func (c *Client) Health(ctx context.Context) (Health, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var h Health
	_, err := c.getJSON(ctx, http.MethodGet, "/health", nil, &h)
	return h, err
}

// Raw GETs an API path and returns its JSON, for commands that print the
// answer as it is.
func (c *Client) Raw(ctx context.Context, path string, query url.Values) (json.RawMessage, error) {
	return c.getJSON(ctx, http.MethodGet, path, query, nil)
}

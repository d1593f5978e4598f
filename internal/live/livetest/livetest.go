// Package livetest gives tests a Redis client on the real server and a key
// prefix of their own, deleted when the test ends. Outside CI an
// unreachable server skips the test; with CI=true it fails it.
package livetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agenttrace/agenttrace/internal/testenv"
)

// DefaultAddr is the local test server.
const DefaultAddr = "127.0.0.1:6379"

// Addr returns the test server's address (env AGENTTRACE_TEST_REDIS_ADDR or
// DefaultAddr) after checking that it answers.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("AGENTTRACE_TEST_REDIS_ADDR")
	if addr == "" {
		addr = DefaultAddr
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		testenv.Unavailable(t, "Redis unreachable at %s: %v", addr, err)
	}
	return addr
}

// Prefix returns a fresh key prefix whose keys are deleted after the test.
func Prefix(t testing.TB, addr string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "agenttrace_test_" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// Client returns a client of the test server and a fresh prefix.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	addr := Addr(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c, Prefix(t, addr)
}

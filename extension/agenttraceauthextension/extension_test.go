package agenttraceauthextension

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	secretA = "ingest-key-project-a-0001"
	secretB = "ingest-key-project-b-0002"
)

func started(t *testing.T, keys ...KeyConfig) (*authenticator, *observer.ObservedLogs) {
	t.Helper()
	t.Setenv(DefaultKeysEnv, "")
	core, logs := observer.New(zapcore.DebugLevel)
	set := extensiontest.NewNopSettings(Type)
	set.Logger = zap.New(core)
	cfg := createDefaultConfig().(*Config)
	cfg.Keys = keys
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext.(*authenticator), logs
}

func TestAuthenticate(t *testing.T) {
	a, logs := started(t, KeyConfig{Key: secretA, Project: "a"}, KeyConfig{Key: secretB, Project: "b"})
	for name, tc := range map[string]struct {
		sources map[string][]string
		project string
		err     error
	}{
		"http bearer":            {map[string][]string{"Authorization": {"Bearer " + secretA}}, "a", nil},
		"grpc bearer lowercase":  {map[string][]string{"authorization": {"bearer " + secretB}}, "b", nil},
		"bearer upper":           {map[string][]string{"AUTHORIZATION": {"BEARER " + secretA}}, "a", nil},
		"http x-api-key":         {map[string][]string{"X-Api-Key": {secretB}}, "b", nil},
		"grpc x-api-key":         {map[string][]string{"x-api-key": {secretA}}, "a", nil},
		"bearer wins":            {map[string][]string{"Authorization": {"Bearer " + secretA}, "X-Api-Key": {secretB}}, "a", nil},
		"missing":                {map[string][]string{"Content-Type": {"application/json"}}, "", ErrMissingKey},
		"basic is not a key":     {map[string][]string{"Authorization": {"Basic " + secretA}}, "", ErrMissingKey},
		"wrong key":              {map[string][]string{"Authorization": {"Bearer " + secretA + "x"}}, "", ErrInvalidKey},
		"empty bearer":           {map[string][]string{"Authorization": {"Bearer "}}, "", ErrMissingKey},
		"wrong key in x-api-key": {map[string][]string{"x-api-key": {"not-a-configured-key-000"}}, "", ErrInvalidKey},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, err := a.Authenticate(context.Background(), tc.sources)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.NotContains(t, err.Error(), secretA)
				assert.NotContains(t, err.Error(), secretB)
				assert.Nil(t, IdentityFromContext(ctx))
				return
			}
			require.NoError(t, err)
			auth := client.FromContext(ctx).Auth
			require.NotNil(t, auth)
			assert.Equal(t, tc.project, auth.GetAttribute(AttrProject))
			id := IdentityFromContext(ctx)
			require.NotNil(t, id)
			assert.Equal(t, id.ID, auth.GetAttribute(AttrKeyID))
			assert.Nil(t, auth.GetAttribute("secret"))
			assert.ElementsMatch(t, []string{AttrProject, AttrKeyID}, auth.GetAttributeNames())
		})
	}
	for _, e := range logs.All() {
		for _, s := range []string{secretA, secretB} {
			assert.NotContains(t, e.Message, s)
			for _, f := range e.Context {
				assert.NotContains(t, f.String, s)
			}
		}
	}
}

func TestAuthenticateKeepsClientInfo(t *testing.T) {
	a, _ := started(t, KeyConfig{Key: secretA, Project: "a"})
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"k": {"v"}})})
	ctx, err := a.AuthenticateSecret(ctx, secretA)
	require.NoError(t, err)
	assert.Equal(t, []string{"v"}, client.FromContext(ctx).Metadata.Get("k"))
}

func TestStartNeedsKeys(t *testing.T) {
	t.Setenv(DefaultKeysEnv, "")
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), createDefaultConfig())
	require.NoError(t, err)
	_, err = ext.(*authenticator).AuthenticateSecret(context.Background(), secretA)
	require.ErrorIs(t, err, ErrNotStarted)
	err = ext.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "no ingest keys")
	require.NoError(t, ext.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))

	t.Setenv(DefaultKeysEnv, "a:"+secretA)
	ext, err = NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), createDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	ctx, err := ext.(*authenticator).AuthenticateSecret(context.Background(), secretA)
	require.NoError(t, err)
	assert.Equal(t, "a", IdentityFromContext(ctx).Project)
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestChargeOncePerRequest(t *testing.T) {
	a, _ := started(t, KeyConfig{Key: secretA, Project: "a", RateLimit: 1, Burst: 10})

	// Unauthenticated requests are never limited.
	ctx, id, err := Charge(context.Background(), 1_000_000)
	require.NoError(t, err)
	assert.Nil(t, id)
	assert.Equal(t, context.Background(), ctx)

	req, err := a.AuthenticateSecret(context.Background(), secretA)
	require.NoError(t, err)
	charged, id, err := Charge(req, 8)
	require.NoError(t, err)
	assert.Equal(t, "a", id.Project)
	// A second charge of the same request (the processor after the native
	// receiver) spends nothing.
	_, _, err = Charge(charged, 8)
	require.NoError(t, err)

	// A new request with the same key: 2 tokens left, 8 refused.
	req2, err := a.AuthenticateSecret(context.Background(), secretA)
	require.NoError(t, err)
	_, _, err = Charge(req2, 8)
	require.Error(t, err)
	st := status.Convert(err)
	assert.Equal(t, codes.ResourceExhausted, st.Code())
	assert.Contains(t, st.Message(), "over its rate limit of 1 spans/s (burst 10); 8 spans refused")
	assert.Contains(t, st.Message(), id.ID)
	assert.NotContains(t, st.Message(), secretA)
	require.Len(t, st.Details(), 1)
	assert.Equal(t, int64(8), st.Details()[0].(*errdetails.RetryInfo).GetRetryDelay().GetSeconds())

	_, _, err = Charge(req2, 11)
	assert.Contains(t, status.Convert(err).Message(), "a request of 11 spans exceeds the key's burst of 10 spans; split it")
}

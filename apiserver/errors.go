package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// Error codes of the {"error":{"code","message"}} body.
const (
	codeInvalidParameter = "invalid_parameter"
	codeInvalidQuery     = "invalid_query"
	codeNotFound         = "not_found"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeRateLimited      = "rate_limited"
	codeMethodNotAllowed = "method_not_allowed"
	codeTimeout          = "timeout"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
)

// errorBody is the JSON of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// paramError is a rejected request parameter; it is always a 400.
type paramError struct {
	Param   string
	Message string
}

func (e *paramError) Error() string { return fmt.Sprintf("parameter %s: %s", e.Param, e.Message) }

func badParam(name, format string, args ...any) *paramError {
	return &paramError{Param: name, Message: fmt.Sprintf(format, args...)}
}

func abortJSON(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// fail answers a request that failed with err: parameter and storage
// query errors are 400s, unknown ids 404s, and only the server's own
// failures 500s (logged, with a generic message).
func (s *Server) fail(c *gin.Context, err error) {
	var pe *paramError
	switch {
	case errors.As(err, &pe):
		abortJSON(c, http.StatusBadRequest, codeInvalidParameter, pe.Error())
	case errors.Is(err, storage.ErrNotFound):
		abortJSON(c, http.StatusNotFound, codeNotFound, err.Error())
	case errors.Is(err, storage.ErrInvalidQuery):
		abortJSON(c, http.StatusBadRequest, codeInvalidQuery, err.Error())
	case c.Request.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		c.Abort()
	case errors.Is(err, context.DeadlineExceeded):
		abortJSON(c, http.StatusGatewayTimeout, codeTimeout, "the query took longer than the server's query timeout")
	default:
		s.logger.Error("API request failed", zap.String("path", c.FullPath()), zap.String("key_id", c.GetString(keyIDKey)), zap.Error(err))
		abortJSON(c, http.StatusInternalServerError, codeInternal, "internal error; see the server log")
	}
}

package banks

import (
	"context"
	"log/slog"
)

// CallLog is one call to a bank, for the log. Every connector logs each attempt of each call as
// one record with these attributes (the bank's X-Request-ID beside our request's id), so that one
// shopper's trouble can be found in both parties' logs. The path only: query strings and webview
// URLs carry tokens. One record with its attributes given whole, rather than a derived logger
// (slog.Logger.With) per call, which cost a tenth of a BankID poll with thousands waiting.
type CallLog struct {
	Logger                             *slog.Logger
	Provider, Method, Path, XRequestID string
	Attempt                            int
}

// Log writes the record at level with the call's attributes and more.
func (c CallLog) Log(ctx context.Context, level slog.Level, msg string, more ...slog.Attr) {
	if !c.Logger.Enabled(ctx, level) {
		return
	}
	c.Logger.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.String("provider", c.Provider),
		slog.String("method", c.Method), slog.String("path", c.Path), slog.String("x_request_id", c.XRequestID),
		slog.String("request_id", RequestIDFrom(ctx)), slog.Int("attempt", c.Attempt)}, more...)...)
}

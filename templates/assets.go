package templates

import "context"

// assetsKey is the context key of the function that names static files.
type assetsKey struct{}

// WithAssets is ctx carrying path, the function that gives a static file's
// address (its content-hashed name, static.Set.Path).
func WithAssets(ctx context.Context, path func(name string) string) context.Context {
	return context.WithValue(ctx, assetsKey{}, path)
}

// Asset is the address of the static file name: the one place templates
// take static addresses from. Without WithAssets it is the plain address,
// which the server still serves.
func Asset(ctx context.Context, name string) string {
	if path, ok := ctx.Value(assetsKey{}).(func(string) string); ok {
		return path(name)
	}
	return "/static/" + name
}

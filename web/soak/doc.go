// Package soak holds the memory soak test of the server: it builds the
// safedesk binary, serves a data folder and drives it over HTTP from
// hundreds of thousands of client addresses (issue 12, item 18). It is a
// package of its own so that its minutes count against a test binary of
// their own, apart from the web package's tests; it has no other code.
package soak

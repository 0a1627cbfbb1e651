package store

// DSN exposes the connection string so that benchmarks can open a plain
// database with exactly the store's pragmas.
var DSN = dsn

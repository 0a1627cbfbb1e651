package store

import "context"

// RotateMasterKeyFileCrashing is RotateMasterKeyFile with crash stopping
// it at the named points, as a crash there would.
func (db *DB) RotateMasterKeyFileCrashing(ctx context.Context, keyFile string, a Actor, crash func(step string) error) (int, error) {
	n, _, err := db.rotateMasterKeyFile(ctx, keyFile, a, crash)
	return n, err
}

// Crash points of a rotation, in order.
const (
	RotateNextWritten = rotateNextWritten
	RotateCommitted   = rotateCommitted
	RotatePrevWritten = rotatePrevWritten
)

package usher

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// HashJSON returns the hex SHA-256 of raw's canonical form: object keys
// sorted, insignificant space removed and numbers kept digit for digit.
// Two documents with the same content hash alike whatever their layout, so
// an upstream that re-serialises a resent document is still recognised.
func HashJSON(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	canonical, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

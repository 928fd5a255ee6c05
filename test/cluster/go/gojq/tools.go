//go:build tools

// Package tools pins gojq at the version Argo CD v3.2.11 evaluates `jqPathExpressions`
// with (its go.mod), so test/integration/jq-agreement.test.ts compares mr-drift's jq with
// the real thing.
package tools

import _ "github.com/itchyny/gojq/cmd/gojq"

//go:build tools

// Package tools pins the etcd server the test harness builds. It lives in its own
// module so that etcd's dependency versions never mix with Kubernetes' own.
package tools

import _ "go.etcd.io/etcd/server/v3"

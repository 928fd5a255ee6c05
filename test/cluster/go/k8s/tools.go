//go:build tools

// Package tools pins the Kubernetes commands the test harness builds:
// kube-apiserver for the per-region clusters and kubectl for the benchmarks.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

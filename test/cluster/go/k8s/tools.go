//go:build tools

// Package tools pins the Kubernetes commands the test harness builds: kube-apiserver,
// kube-controller-manager and kube-scheduler for the per-region control plane, and
// kubectl for the benchmarks. One module, so all four come from the same pin.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

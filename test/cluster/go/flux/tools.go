//go:build tools

// Package tools pins the two Flux controllers the test harness runs as processes:
// source-controller (serves the Git repository as an artifact) and kustomize-controller
// (builds and applies it, to the hub or through a region's kubeconfig Secret).
package tools

import (
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/source-controller"
)

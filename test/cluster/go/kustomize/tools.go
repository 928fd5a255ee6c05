//go:build tools

// Package tools pins the kustomize command that Argo CD's repo-server runs to build each
// region's overlay. v5.7.0 is the version Argo CD v3.2 ships in its image
// (hack/tool-versions.sh of argo-cd v3.2.11).
package tools

import (
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)

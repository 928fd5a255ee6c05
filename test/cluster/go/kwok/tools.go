//go:build tools

// Package tools pins kwok, which plays the kubelet for fake Nodes in every test region:
// it marks the Nodes Ready, renews their leases and moves Pods and volumes through their
// life (the Stage files come from this same module, see test/cluster/kwok.ts). Its own
// module, so that kwok's dependency versions never mix with Kubernetes' own.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"

//go:build tools

// Package tools pins the Argo CD command the test harness builds. Its main package
// starts a component by the name it is called with (argv[0]), so one binary serves as
// argocd-application-controller, argocd-repo-server and argocd-applicationset-controller.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
)
